#!/usr/bin/env node
// Runs sipts-server straight from its TypeScript sources, no build step: Node resolves the
// @sipts/* packages to their src/ through the private "@sipts/source" export condition, and tsx
// compiles the .ts files. Export conditions are command-line flags, hence the child process; it
// is spawned (not spawnSync) so that SIGTERM/SIGINT reach it and it can stop gracefully.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsx = import.meta.resolve('tsx');
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(process.execPath, ['--conditions=@sipts/source', '--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (e) => {
  process.stderr.write(`sipts-server: could not start: ${e.message}\n`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exitCode = code ?? 1;
});
