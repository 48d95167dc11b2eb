/**
 * Starts an example app (apps/*.cjs) as a child process on loopback ports passed by environment,
 * collects what it prints (one JSON line per request it handled), waits until it listens, and
 * kills it. Each app also exits by itself after APP_LIFETIME_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { implEnv } from './impl.js';

const APPS = fileURLToPath(new URL('../apps/', import.meta.url));

/** A bound on every app's life, in ms (the app exits by itself; the harness kills it after this plus 5 s). */
export const APP_LIFETIME_MS = 90_000;

/** A running example app. */
export interface App {
  child: ChildProcess;
  /** The JSON lines the app printed, parsed. */
  events: () => Record<string, unknown>[];
  /** Everything it printed, for failure messages. */
  output: () => string;
  stop: () => Promise<void>;
}

/** Resolves once a TCP connection to host:port succeeds (tries for `ms`). */
export async function waitForTcp(port: number, host = '127.0.0.1', ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts apps/<name>.cjs with `env` (ports and settings), and waits for its `ready` line and for
 * `tcpPort` to accept connections.
 */
export async function startApp(name: string, env: Record<string, string>, tcpPort?: number): Promise<App> {
  const child = spawn(process.execPath, [`${APPS}${name}.cjs`], {
    cwd: APPS,
    env: { ...process.env, ...implEnv(), APP_LIFETIME_MS: String(APP_LIFETIME_MS), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    if (stdout.length < 1 << 20) stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 1 << 20) stderr += d.toString('utf8');
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), APP_LIFETIME_MS + 5000);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
  });
  const output = () => `--- ${name} stdout\n${stdout.slice(-4000)}\n--- ${name} stderr\n${stderr.slice(-4000)}`;
  const app: App = {
    child,
    output,
    events: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{"'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return []; // not one of the app's lines (the classic package prints objects to stdout)
          }
        }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  const end = Date.now() + 10_000;
  while (!/^ready$/m.test(stdout)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
      await app.stop();
      throw new Error(`${name} did not start\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (tcpPort !== undefined) {
    try {
      await waitForTcp(tcpPort);
    } catch (e) {
      await app.stop();
      throw new Error(`${String(e)}\n${output()}`, { cause: e });
    }
  }
  return app;
}
