#!/usr/bin/env node
// Runs sipts-b2bua from its TypeScript sources: esbuild bundles src/main.ts and the @sipts/*
// packages (their src/ through the "@sipts/source" condition) in memory, then this process imports it.
import { build, stop } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url);
const outfile = fileURLToPath(new URL('dist/main.mjs', root));
const { outputFiles } = await build({
  write: false,
  entryPoints: [fileURLToPath(new URL('src/main.ts', root))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@sipts/source'],
  logLevel: 'warning',
  // Bundled CommonJS helpers (ws) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __siptsCreateRequire } from 'node:module'; const require = __siptsCreateRequire(import.meta.url);" },
});
await stop(); // esbuild's service process is not needed any more
mkdirSync(fileURLToPath(new URL('dist/', root)), { recursive: true });
for (const f of outputFiles) writeFileSync(f.path, f.contents);
await import(pathToFileURL(outfile).href);
