/**
 * UAS child processes of the transaction benchmark: node with an IPC channel, pinned to a CPU
 * with taskset, killed after a hard timeout or when the orchestrator exits.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts `script` (in this folder) with `args` as JSON in argv[2], and waits for its `ready`.
 * @returns {Promise<{ ready: object, request(cmd: string, type: string, ms?: number): Promise<object>, stop(): Promise<void> }>}
 */
export async function startUas(script, args, { cpu = 0, pinned = true, execArgv = [], timeoutMs = 120_000 } = {}) {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const node = [...execArgv, file, JSON.stringify(args)];
  const child = pinned
    ? spawn('taskset', ['-c', String(cpu), process.execPath, ...node], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, node, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  child.on('error', () => undefined);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise((resolve) => {
    child.on('exit', () => {
      clearTimeout(killer);
      live.delete(child);
      resolve();
    });
  });
  const next = (type, ms) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        child.off('message', on);
        reject(new Error(`${script}: no ${type} within ${ms} ms`));
      }, ms);
      const on = (m) => {
        if (m?.type !== type) return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      exited.then(() => {
        clearTimeout(t);
        reject(new Error(`${script} exited before ${type}`));
      });
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    if (child.connected) child.send({ cmd: 'stop' }, () => undefined);
    else child.kill('SIGKILL');
    await exited;
    clearTimeout(t);
  };
  try {
    const ready = await next('ready', 15_000);
    return {
      ready,
      request(cmd, type, ms = 10_000) {
        const p = next(type, ms);
        child.send({ cmd }, () => undefined);
        return p;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
