#!/usr/bin/env node
// Runs the CLI straight from its TypeScript source, no build step: Node resolves `@sipts/message`
// to its src/ through the private "@sipts/source" export condition, and tsx compiles the .ts files.
// Node takes export conditions only as command-line flags, hence the child process (tsx's own
// CLI does the same).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsx = import.meta.resolve('tsx');
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawnSync(
  process.execPath,
  ['--conditions=@sipts/source', '--import', tsx, main, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (child.error) throw child.error;
if (child.signal) process.kill(process.pid, child.signal);
process.exitCode = child.status ?? 1;
