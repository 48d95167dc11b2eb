#!/usr/bin/env node
// Runs sipts-server from its TypeScript sources with no separate build step: bin/build.mjs bundles
// them into dist/server/ in a child process (esbuild and its output never stay in this process's
// memory), then this process imports the bundle. One long-lived process, no TypeScript compiler
// kept in memory (tsx in a child process cost ~80 MB more RSS), and signals reach the server
// directly. The configuration is read in another short-lived child (see src/config-child.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = spawnSync(process.execPath, [fileURLToPath(new URL('build.mjs', import.meta.url))], { stdio: ['ignore', 'inherit', 'inherit'] });
if (built.status !== 0) process.exit(1);
process.setSourceMapsEnabled(true);
await import(pathToFileURL(fileURLToPath(new URL('../dist/server/main.mjs', import.meta.url))).href);
