import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/sipts-server.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A bound on one run of the bin, only so that a hung process cannot hang the suite: each run
 * bundles the sources with esbuild before it starts, which took over 20 s (the bound before) on
 * the 2-core CI machine under the whole suite's load. Nothing here measures time.
 */
const RUN_BOUND_MS = 120_000;

/** Runs the bin; `whenReady` is called once stdout contains `readyText` (SIGKILLed after {@link RUN_BOUND_MS}). */
function run(args: string[], options: { input?: string; readyText?: string; whenReady?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: mkdtempSync(join(tmpdir(), 'sipts-bin-')), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), RUN_BOUND_MS);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!ready && options.readyText !== undefined && stdout.includes(options.readyText) && child.pid !== undefined) {
        ready = true;
        options.whenReady?.(child.pid);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

// Each test's limit covers its runs' bounds (add-user runs the bin twice).
describe('sipts-server (bin)', { timeout: 2 * RUN_BOUND_MS + 10_000 }, () => {
  it('prints --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('add-user');
    expect(r.stdout).toContain('--udp-port');
  });

  it('add-user prints both HA1s, from --password or stdin', async () => {
    const a = await run(['add-user', 'carol', '--password', 'pw']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/user: carol\n\s+ha1:\n\s+md5: "[0-9a-f]{32}"\n\s+sha256: "[0-9a-f]{64}"\n/);
    const b = await run(['add-user', 'carol'], { input: 'pw\n' });
    expect(b.stdout).toBe(a.stdout);
  });

  it('exits 2 with the key named on a bad flag', async () => {
    const r = await run(['--udp-port', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--udp-port');
  });

  it('starts, prints where to point a phone, and stops on SIGTERM with exit code 0', async () => {
    const r = await run(['--udp-port', '0', '--tcp-port', '0', '--ws-port', '0', '--http-port', '0', '--store', 'memory', '--log-level', 'info'], {
      readyText: 'softphone:',
      whenReady: (pid) => process.kill(pid, 'SIGTERM'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/UDP: +127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/WebSocket: +ws:\/\/127\.0\.0\.1:\d+\//);
    expect(r.stdout).toContain('/metrics');
    expect(r.stdout).toContain('alice');
    expect(r.stderr).toContain('sipts-server stopped');
  });
});
