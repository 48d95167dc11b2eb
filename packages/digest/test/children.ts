/**
 * Child processes for the interop tests: started with a kill timer and their output collected,
 * free loopback ports, and a kill-everything for afterEach/afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Default bound on a child's life, in ms. */
export const CHILD_TIMEOUT_MS = 20_000;
/** Output kept per child. */
export const MAX_OUTPUT = 1 << 20;

/** How a child ended, and what it printed. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every child still running: killed by {@link killAll}. */
export const children = new Set<ChildProcess>();

/** Starts a child with its output collected (the first MiB) and a kill timer. */
export function start(cmd: string, args: string[], cwd: string, timeoutMs = CHILD_TIMEOUT_MS): { child: ChildProcess; done: Promise<RunResult>; output: () => string } {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < MAX_OUTPUT) stdout += d.toString('latin1');
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < MAX_OUTPUT) stderr += d.toString('latin1');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => `${stdout}\n${stderr}` };
}

/** A port free on 127.0.0.1 for both UDP and TCP. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r())).catch(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no port free for both UDP and TCP');
}

/** For a failed assertion: the end of a tool's output. */
export function tail(r: RunResult): string {
  return `exit ${String(r.code)} ${String(r.signal)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`;
}

/** Kills every child still running. */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}
