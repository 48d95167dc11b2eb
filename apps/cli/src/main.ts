/**
 * sipts-parse: reads one SIP message (a file, or standard input) and prints what
 * `parseMessage` makes of it as JSON. It parses in strict mode (every header, the first fault
 * reported with its code and byte offset), since it is a tool for checking messages; the stack's
 * default liberal mode would deliver a message whose informational headers are malformed.
 *
 * Exit status: 0 parsed, 1 invalid message (`error <code> at byte <offset>: <message>` on
 * stderr), 2 usage or I/O error, 70 an unexpected exception from the parser (a bug).
 */
import { readFile } from 'node:fs/promises';
import { isSipParseError, parseMessage } from '@sipts/message';
import { toJson } from './to-json.js';

const USAGE = `usage: sipts-parse [FILE | -]

Parses one SIP message (raw bytes from FILE, or standard input when FILE is - or absent)
and prints it as JSON. Binary bodies print as {"bytes": N, "base64": "..."}.

exit status: 0 parsed, 1 invalid message, 2 usage or read error
`;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The input's bytes as a plain Uint8Array (not a Buffer), as a browser would hand them over. */
async function readInput(path: string | undefined): Promise<Uint8Array> {
  const buf = path === undefined || path === '-' ? await readStdin() : await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Runs the CLI; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const path = args[0];
  const badOption = path !== undefined && path !== '-' && path.startsWith('-');
  if (args.length > 1 || badOption || (path === undefined && process.stdin.isTTY)) {
    process.stderr.write(USAGE);
    return 2;
  }

  let bytes: Uint8Array;
  try {
    bytes = await readInput(path);
  } catch (e) {
    process.stderr.write(`sipts-parse: cannot read ${path ?? 'stdin'}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }

  try {
    const message = parseMessage(bytes, { strict: true });
    process.stdout.write(toJson(message) + '\n');
    return 0;
  } catch (e) {
    if (isSipParseError(e)) {
      process.stderr.write(`error ${e.code} at byte ${String(e.offset)}: ${e.detail}\n`);
      return 1;
    }
    process.stderr.write(`sipts-parse: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
