import { spawn, type ChildProcess } from 'node:child_process';

/** How a tool ended, with the start of its output. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  cwd?: string;
  /** Killed with SIGKILL after this long. */
  timeoutMs: number;
  /** Output kept per stream (the rest is dropped). Default 1 MiB. */
  maxOutput?: number;
  /** Tracks the child while it runs, so a test's afterEach can kill what is left. */
  children?: Set<ChildProcess>;
}

/**
 * Runs a tool to completion; it is killed after `timeoutMs`. Rejects only when it cannot start.
 * @example const r = await runTool('/usr/bin/sipsak', ['-s', uri], { cwd, timeoutMs: 20_000, children })
 */
export function runTool(cmd: string, args: string[], options: RunToolOptions): Promise<RunResult> {
  const maxOutput = options.maxOutput ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    options.children?.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < maxOutput) stdout += d.toString('latin1');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < maxOutput) stderr += d.toString('latin1');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      options.children?.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.children?.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
