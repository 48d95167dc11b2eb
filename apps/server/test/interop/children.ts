/**
 * Child processes of the interop tests (sipp, baresip, the server's bin): each one bounded in
 * time (a kill timer) and output (the first MiB), tracked so that `killAll()` in an afterAll ends
 * whatever is left. Also small waiting helpers shared by the test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_OUTPUT = 1 << 20;

/** How a child ended, and what it printed. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running child. */
export interface Child {
  readonly process: ChildProcess;
  /** Resolves when it has exited (never rejects). */
  readonly done: Promise<ChildResult>;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGKILLs it (if still running) and waits for it. */
  kill(): Promise<ChildResult>;
}

/** Options of {@link startChild}. */
export interface StartOptions {
  cwd: string;
  /** SIGKILLed after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (default: ignored). */
  stdin?: boolean;
  /**
   * Start it in a process group of its own, killed as a whole (for a child that starts children,
   * such as the server's bin and its tsx process).
   */
  group?: boolean;
}

const running = new Map<ChildProcess, boolean>();

function alive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function hardKill(child: ChildProcess, group: boolean): void {
  if (!alive(child)) return;
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Kills every child still running (process groups as a whole). */
export function killAll(): void {
  for (const [child, group] of running) hardKill(child, group);
  running.clear();
}

/** Starts a child with its output collected and a kill timer. */
export function startChild(cmd: string, args: string[], options: StartOptions): Child {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  });
  const group = options.group === true;
  running.set(child, group);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < MAX_OUTPUT) stdout += d.toString('latin1');
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < MAX_OUTPUT) stderr += d.toString('latin1');
  });
  const timer = setTimeout(() => {
    hardKill(child, group);
  }, options.timeoutMs);
  const done = new Promise<ChildResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    };
    child.once('error', (e) => {
      stderr += String(e);
      finish(null, null);
    });
    child.once('close', finish);
  });
  return {
    process: child,
    done,
    output: () => `${stdout}\n${stderr}`,
    kill: async () => {
      hardKill(child, group);
      return done;
    },
  };
}

/** Resolves when `cond()` holds (checked every 20 ms, at most `ms`). */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when something listens on 127.0.0.1:`port` (/proc/net: UDP bound, or TCP in LISTEN). */
export function listening(protocol: 'UDP' | 'TCP', port: number): boolean {
  const table = readFileSync(protocol === 'UDP' ? '/proc/net/udp' : '/proc/net/tcp', 'latin1');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1] === local && (protocol === 'UDP' || cols[3] === '0A');
  });
}

/** A file's text, or `fallback` when it cannot be read. */
export function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return fallback;
  }
}
