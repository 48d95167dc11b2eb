/**
 * Child processes for the interop tests: started with a kill timer and their output collected,
 * free loopback ports, and a kill-everything for afterEach/afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';

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

export { freePort } from '@sipts/test-peers';

/** For a failed assertion: the end of a tool's output. */
export function tail(r: RunResult): string {
  return `exit ${String(r.code)} ${String(r.signal)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`;
}

/** Kills every child still running. */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}
