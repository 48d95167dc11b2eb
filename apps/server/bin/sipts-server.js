#!/usr/bin/env node
// Runs sipts-server from its TypeScript sources with no separate build step: esbuild bundles
// src/main.ts and the @sipts/* packages (read from their src/ through the private "@sipts/source"
// export condition) into dist/server/main.mjs in about a tenth of a second, then this process
// imports it. npm dependencies stay external. One process, no TypeScript compiler kept in memory
// (tsx in a child process cost ~80 MB more RSS), and signals reach the server directly.
// dist/server/ is two levels deep like src/config/, so paths relative to import.meta.url hold.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith('@sipts/'));
const outfile = fileURLToPath(new URL('dist/server/main.mjs', root));

try {
  const { outputFiles } = await build({
    write: false,
    entryPoints: [fileURLToPath(new URL('src/main.ts', root))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@sipts/source'],
    external,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Bundled CommonJS helpers may call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __siptsCreateRequire } from 'node:module'; const require = __siptsCreateRequire(import.meta.url);" },
  });
  // Several servers may start at once (tests, a cluster on one host): each writes its own temporary
  // file and renames it into place, an atomic replace, so no server ever reads a half-written bundle.
  mkdirSync(dirname(outfile), { recursive: true });
  for (const file of outputFiles) {
    const temporary = `${file.path}.${String(process.pid)}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
} catch (e) {
  process.stderr.write(`sipts-server: could not build from src/: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
} finally {
  // esbuild's service is a child process of its own: end it, the server needs it no more.
  await stop();
}
process.setSourceMapsEnabled(true);
await import(pathToFileURL(outfile).href);
