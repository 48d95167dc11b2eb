#!/usr/bin/env node
// Bundles sipts-server from its TypeScript sources (run by bin/sipts-server.js in a child process,
// so that esbuild and the bundle text never stay in the server's memory): esbuild bundles
// src/main.ts and the @sipts/* packages (read from their src/ through the private "@sipts/source"
// export condition) into dist/server/main.mjs, and the configuration loader (src/config/worker.ts)
// into dist/server/config-worker.mjs, in about a tenth of a second. npm dependencies stay external.
// dist/server/ is two levels deep like src/config/, so paths relative to import.meta.url hold.
// Exit code 0 when the bundle is in place, 1 (with a message on stderr) when it could not be built.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith('@sipts/'));
const outdir = fileURLToPath(new URL('dist/server', root));

try {
  const { outputFiles } = await build({
    write: false,
    // The configuration is loaded in a worker thread from its own bundle (src/config/worker.ts):
    // the server process then never holds the YAML parser, the schema library or the parse garbage.
    entryPoints: { main: fileURLToPath(new URL('src/main.ts', root)), 'config-worker': fileURLToPath(new URL('src/config/worker.ts', root)) },
    outdir,
    outExtension: { '.js': '.mjs' },
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
  mkdirSync(outdir, { recursive: true });
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
