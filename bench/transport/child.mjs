/**
 * Child processes of the transport bench: node scripts with an IPC channel, optionally pinned to
 * one CPU with taskset (server and generator on different cores), each with a hard timeout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const HAS_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** True when servers and generators are pinned to separate CPUs. */
export const PINNED = HAS_TASKSET && availableParallelism() >= 2 && process.env.BENCH_TRANSPORT_NO_PIN === undefined;

const live = new Set();

/** Kills every child still running (on exit of the orchestrator). */
export function killAll() {
  for (const c of live) c.kill('SIGKILL');
}
process.on('exit', killAll);

/**
 * Starts `script` (relative to this folder) with `args` as JSON in argv[2].
 * @returns {{ child, next(type: string, ms: number): Promise<any>, send(msg): void, stop(ms?: number): Promise<void> }}
 */
export function startChild(script, args, { cpu, execArgv = [], timeoutMs }) {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const node = [...execArgv, file, JSON.stringify(args)];
  const child = PINNED && cpu !== undefined
    ? spawn('taskset', ['-c', String(cpu), process.execPath, ...node], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, node, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  child.on('error', () => undefined); // EPIPE on a channel the child just closed: its exit tells
  const queue = [];
  const waiters = [];
  let exited = false;
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m?.type);
    if (i === -1) queue.push(m);
    else waiters.splice(i, 1)[0].resolve(m);
  });
  child.on('exit', (code, signal) => {
    exited = true;
    clearTimeout(killer);
    live.delete(child);
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited (${code ?? signal}) before sending ${w.type}`));
  });
  return {
    child,
    next(type, ms) {
      const i = queue.findIndex((m) => m?.type === type);
      if (i !== -1) return Promise.resolve(queue.splice(i, 1)[0]);
      if (exited) return Promise.reject(new Error(`${script} has exited`));
      return new Promise((resolve, reject) => {
        const w = { type, resolve: (m) => (clearTimeout(t), resolve(m)), reject: (e) => (clearTimeout(t), reject(e)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${script}: no ${type} within ${ms} ms`));
        }, ms);
        waiters.push(w);
      });
    },
    send(msg) {
      if (!exited && child.connected) child.send(msg, () => undefined);
    },
    stop(ms = 3000) {
      if (exited) return Promise.resolve();
      return new Promise((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), ms);
        child.once('exit', () => (clearTimeout(t), resolve()));
        if (child.connected) child.send({ cmd: 'stop' }, () => undefined);
        else child.kill('SIGKILL');
      });
    },
  };
}

/** Starts a bench server (`echo` or `layer`) on CPU 0 and waits for its ports. */
export async function startServer(kind, { host, cert, key }) {
  const script = kind === 'echo' ? 'echo-server.mjs' : 'layer-server.mjs';
  const s = startChild(script, { host, cert, key }, { cpu: 0, execArgv: ['--expose-gc'], timeoutMs: 120_000 });
  try {
    const ready = await s.next('ready', 15_000);
    return { ...s, ports: ready.ports };
  } catch (e) {
    await s.stop();
    throw e;
  }
}
