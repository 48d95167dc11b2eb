/**
 * Reads a fixture's exact bytes in both vitest projects: `node:fs` under Node, and the
 * `readFixtureBase64` command registered in vitest.config.ts under browser mode (base64, because
 * command results travel as JSON and fixtures hold NULs and bytes that are not UTF-8).
 */

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Base64 of `test/fixtures/<relPath>`; see vitest.config.ts. */
    readFixtureBase64: (relPath: string) => Promise<string>;
  }
}

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/**
 * The bytes of `packages/message/test/fixtures/<relPath>`, e.g. `'torture/rfc4475/wsinv.sip'`.
 * @throws when the file does not exist or the path leaves the fixtures folder.
 */
export async function readFixture(relPath: string): Promise<Uint8Array<ArrayBuffer>> {
  if (inBrowser) {
    const { commands } = await import('vitest/browser');
    return fromBase64(await commands.readFixtureBase64(relPath));
  }
  // Node only: this branch never runs in the browser project. Dynamic, so the browser bundle
  // never loads a Node built-in.
  const { readFile } = await import('node:fs/promises');
  const buf = await readFile(new URL(`./fixtures/${relPath}`, import.meta.url));
  // A plain Uint8Array copy (not a Buffer, not a view of Node's shared pool), so equality checks
  // behave the same in both projects and `crypto.subtle` accepts it.
  return new Uint8Array(buf);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
