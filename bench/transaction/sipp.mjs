/**
 * sipp runs for the transaction benchmark: pinned to CPU 1 with taskset (the UAS is on CPU 0),
 * bounded by -m, -recv_timeout and -timeout and a hard kill, with `-trace_stat -fd 1` so the
 * completed rate is read from the periodic rows of the steady part of the run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SIPP = '/usr/bin/sipp';

const live = new Set();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Seconds since the epoch from sipp's time cell ("date\ttime\tepoch"). */
function epoch(cell) {
  const parts = (cell ?? '').split('\t');
  return Number(parts[parts.length - 1]);
}

/** Parses sipp's -trace_stat CSV into rows of {name: value}. */
export function readStats(file) {
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  const names = (lines[0] ?? '').split(';');
  return lines.slice(1).map((line) => {
    const values = line.split(';');
    return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  });
}

/**
 * Summarizes one run. The steady window is sipp's 1-s periods in which it was still starting
 * calls, without the first and the last of them (ramp-up, partial period). `completedPerSec`, the
 * sustained rate, is the calls completed in that window or the calls started in it, whichever is
 * lower: completions above the starts are a backlog of earlier periods being caught up.
 * `wholeRunPerSec` is every successful call over the whole run, from sipp's start to its exit
 * after the last answer: conservative, it also counts the ramp-up and the wait for the last answers.
 */
export function summarize(rows, targetRate) {
  const periods = rows
    .map((r) => ({
      seconds: epoch(r.CurrentTime) - epoch(r.LastResetTime),
      started: Number(r['OutgoingCall(P)']),
      ok: Number(r['SuccessfulCall(P)']),
      failed: Number(r['FailedCall(P)']),
      current: Number(r.CurrentCall),
    }))
    .filter((p) => p.seconds > 0.2);
  const sending = periods.filter((p) => p.started > 0);
  const steady = sending.length > 2 ? sending.slice(1, -1) : sending;
  const seconds = steady.reduce((a, p) => a + p.seconds, 0);
  const last = rows[rows.length - 1] ?? {};
  const created = Number(last.TotalCallCreated ?? NaN);
  const successful = Number(last['SuccessfulCall(C)'] ?? NaN);
  const failed = Number(last['FailedCall(C)'] ?? NaN);
  // Calls sipp had not finished when it stopped count as failed too.
  const unfinished = Math.max(0, created - successful - failed);
  const span = epoch(last.CurrentTime) - epoch(rows[0]?.StartTime);
  const steadyOk = seconds > 0 ? steady.reduce((a, p) => a + p.ok, 0) / seconds : NaN;
  const startedPerSec = seconds > 0 ? steady.reduce((a, p) => a + p.started, 0) / seconds : NaN;
  return {
    targetRate,
    completedPerSec: Math.min(steadyOk, startedPerSec),
    steadyCompletedPerSec: steadyOk,
    startedPerSec,
    wholeRunPerSec: span > 0 ? successful / span : NaN,
    runSeconds: span,
    steadySeconds: seconds,
    maxInFlight: Math.max(0, ...steady.map((p) => p.current)),
    created,
    successful,
    failed,
    unfinished,
    failureRate: created > 0 ? (failed + unfinished) / created : NaN,
    retransmissions: Number(last['Retransmissions(C)'] ?? NaN),
  };
}

/**
 * Runs sipp as UAC against 127.0.0.1:`port` at `rate` calls/s for about `seconds`, at most
 * `limit` calls in flight.
 * @returns {Promise<object>} summarize()'s figures, plus exit code and the end of stderr
 */
export function runSipp({ dir, port, localPort, scenario, rate, seconds, limit, recvTimeoutMs = 2000, cpu = 1, pinned = true, tag = 'run' }) {
  const stat = join(dir, `${tag}-${String(localPort)}.csv`);
  const calls = Math.round(rate * seconds);
  const args = [
    `127.0.0.1:${String(port)}`,
    ...scenario,
    '-t', 'u1',
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-r', String(rate),
    '-rp', '1000',
    '-m', String(calls),
    '-l', String(limit),
    '-recv_timeout', String(recvTimeoutMs),
    '-timeout', `${String(Math.ceil(seconds * 2 + 10))}s`,
    '-nostdin',
    '-buff_size', '4194304',
    '-trace_stat', '-stf', stat, '-fd', '1',
  ];
  const cmd = pinned ? 'taskset' : SIPP;
  const argv = pinned ? ['-c', String(cpu), SIPP, ...args] : args;
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 65_536) stderr += d.toString('latin1');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds * 2 + 20) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      live.delete(child);
      let figures;
      try {
        figures = summarize(readStats(stat), rate);
      } catch (e) {
        figures = { targetRate: rate, error: `no statistics: ${String(e?.message ?? e)}` };
      }
      resolve({ ...figures, calls, limit, exit: code ?? signal, stderr: stderr.slice(-1000) });
    });
  });
}
