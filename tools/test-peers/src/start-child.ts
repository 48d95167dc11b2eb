import { spawn, type ChildProcess } from 'node:child_process';
import type { RunResult } from './run-tool.js';

/** A running child started by {@link startChild}. */
export interface Child {
  readonly process: ChildProcess;
  /** Resolves when it has exited (never rejects; a spawn error ends it with code null). */
  readonly done: Promise<RunResult>;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGKILLs it (its whole process group with `group`), if still running, and waits for it. */
  kill(): Promise<RunResult>;
}

/** Options of {@link startChild}. */
export interface StartChildOptions {
  cwd: string;
  /**
   * SIGKILLed after this long. For a tool that runs to its end; leave it out for a peer that must
   * live as long as the tests that use it (a server such as kamailio): then it lives until `kill()`,
   * {@link killChildren} or the end of the test process, whichever comes first, however slow the
   * machine is.
   */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (default: ignored). */
  stdin?: boolean;
  /**
   * Start it in a process group of its own, killed as a whole (for a child that starts children,
   * such as a server's bin and its tsx process, or kamailio and its workers).
   */
  group?: boolean;
  /** Output kept per stream (the rest is dropped). Default 1 MiB. */
  maxOutput?: number;
}

/** Children started here that are still running, with whether each leads a process group. */
const running = new Map<ChildProcess, boolean>();
let exitHook = false;

/** A child in a process group of its own does not die with us: kill it when the test process ends. */
function killOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', killChildren);
}

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

/**
 * SIGKILLs every child {@link startChild} started that is still running (process groups as a
 * whole): for a test file's `afterAll`.
 */
export function killChildren(): void {
  for (const [child, group] of running) hardKill(child, group);
  running.clear();
}

/**
 * Starts a child in the background with its output collected (latin1, the first `maxOutput`
 * characters of each stream) and a kill timer; unlike {@link runTool} it does not wait for the
 * end, and can lead a process group.
 * @example
 * const k = startChild('/usr/sbin/kamailio', ['-DD', '-E', '-f', cfg], { cwd, group: true }); // lives until killed
 * afterAll(() => { killChildren(); });
 */
export function startChild(cmd: string, args: string[], options: StartChildOptions): Child {
  const maxOutput = options.maxOutput ?? 1 << 20;
  const group = options.group === true;
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: group,
  });
  running.set(child, group);
  killOnExit();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < maxOutput) stdout += d.toString('latin1');
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < maxOutput) stderr += d.toString('latin1');
  });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          hardKill(child, group);
        }, options.timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
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
