/**
 * A gate for a shared machine: waits (bounded) until the CPUs were mostly idle over the last
 * second before a run starts, so that a run does not begin in the middle of someone else's build.
 * It only delays; the idle share seen is recorded with the run.
 */
import { readFileSync } from 'node:fs';

/** Idle and total jiffies of all CPUs from /proc/stat (undefined where there is none). */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** The share of CPU time idle over the next `ms`. */
async function idleShare(ms) {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  if (a === undefined || b === undefined || b.total === a.total) return NaN;
  return (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Resolves once a 1-s window was at least `minIdle` idle, or after `maxWaitMs`.
 * @returns {Promise<{ idle: number, waitedMs: number }>}
 */
export async function waitForQuiet({ minIdle = Number(process.env.BENCH_QUIET_IDLE ?? 0.6), maxWaitMs = Number(process.env.BENCH_QUIET_WAIT_MS ?? 5_000) } = {}) {
  const t0 = Date.now();
  let idle;
  do {
    idle = await idleShare(1000);
    if (!(idle < minIdle)) break;
  } while (Date.now() - t0 < maxWaitMs);
  return { idle, waitedMs: Date.now() - t0 };
}
