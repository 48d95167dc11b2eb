/**
 * sipp for the facade bench: the load (a UAC in closed loop: a fixed number of calls, a fixed
 * window of calls in flight, a new call as soon as one ends) and the far end of a proxy (a sipp
 * UAS). Both pinned with taskset when `pinned`, bounded by -m, -recv_timeout, -timeout and a hard
 * kill, run in their own process group so a stop ends them whole. The figures come from sipp's
 * per-second statistics (`readStats`/`summarize` of ../transaction/sipp.mjs).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readStats, SIPP, summarize } from '../transaction/sipp.mjs';

const live = new Set();
process.on('exit', () => {
  for (const c of live) killGroup(c);
});

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** `sipp args` in its own process group on `cpu`; resolves with its exit when it ends. */
function startSipp(args, { cwd, cpu, pinned, timeoutMs }) {
  const child = spawn(pinned ? 'taskset' : SIPP, pinned ? ['-c', String(cpu), SIPP, ...args] : args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  live.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 65_536) stderr += d.toString('latin1');
  });
  child.on('error', () => undefined);
  const killer = setTimeout(() => killGroup(child), timeoutMs);
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      live.delete(child);
      resolve({ exit: code ?? signal, stderr: stderr.slice(-1000) });
    }),
  );
  return {
    exited,
    async stop() {
      killGroup(child);
      return exited;
    },
  };
}

/**
 * A sipp UAS on `host`:`port`: sipp's built-in `uas` (INVITE, 180, 200, ACK, BYE, 200) or a
 * scenario file (`scenario` = ['-sf', file]). Stopped by the returned stop().
 */
export async function startSippUas({ dir, host, port, scenario, cpu = 1, pinned = true, timeoutMs = 600_000 }) {
  const args = [...scenario, '-t', 'u1', '-i', host, '-p', String(port), '-nostdin', '-buff_size', '4194304'];
  const s = startSipp(args, { cwd: dir, cpu, pinned, timeoutMs });
  await new Promise((r) => setTimeout(r, 300));
  return s;
}

/**
 * The load in closed loop: `calls` calls against `target` ("host:port"), at most `window` in
 * flight, each started as soon as the window has room (sipp's rate is set far above what any
 * server here reaches, so the window is the only limit). A call without its final answer within
 * `recvTimeoutMs` fails; sipp stops after `maxSeconds` in any case (unfinished calls then count as
 * failed).
 * @returns {Promise<object>} summarize()'s figures (completedPerSec, failureRate, successful, …)
 */
export async function runClosedLoop({ dir, target, localPort, scenario, calls, window, maxSeconds, recvTimeoutMs = 2000, cpu = 1, pinned = true, tag = 'loop' }) {
  const stat = join(dir, `${tag}-${String(localPort)}.csv`);
  const args = [
    target,
    ...scenario,
    '-t', 'u1',
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-r', '1000000',
    '-rp', '1000',
    '-m', String(calls),
    '-l', String(window),
    '-recv_timeout', String(recvTimeoutMs),
    '-timeout', `${String(Math.ceil(maxSeconds))}s`,
    '-nostdin',
    '-buff_size', '4194304',
    '-trace_stat', '-stf', stat, '-fd', '1',
  ];
  const run = startSipp(args, { cwd: dir, cpu, pinned, timeoutMs: (maxSeconds + 15) * 1000 });
  const { exit, stderr } = await run.exited;
  let figures;
  try {
    figures = summarize(readStats(stat), NaN);
  } catch (e) {
    figures = { error: `no statistics: ${String(e?.message ?? e)}` };
  }
  return { ...figures, calls, window, exit, stderr };
}
