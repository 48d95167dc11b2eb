/**
 * `pnpm bench:facade` (also run by `pnpm bench`): the classic API, as a new user tries it.
 * Classic-API apps written with `require('sip')` (uas.mjs: OPTIONS and calls; proxy.mjs: the
 * `sip/proxy` module with Record-Route, to a sipp UAS) run on `@sipts/sip` (its built dist) and on
 * npm `sip@0.0.6`, the same code, side by side in one run:
 *
 * 1. Throughput, closed loop: sipp keeps a fixed window of calls in flight and starts the next as
 *    soon as one ends, for a fixed number of calls; the sustained completed rate (under 0.1% failed).
 *    A closed loop of a quarter as many calls warms the fresh app up first: the first second of a
 *    process is mostly the JIT compiling it, and a run of one or two seconds measured mostly that.
 * 2. CPU at a fixed rate below saturation: the app's CPU (user+sys) µs per transaction or per
 *    call, counted after a warm-up at the same rate (a fresh process spends its first seconds
 *    compiling: the warm-up's own figure is kept as the cold one); this figure does not depend on
 *    sipp sharing the machine.
 * 3. RSS of the UAS after ~200,000 OPTIONS in closed loop (~10 s at 20,000/s; the same count for both).
 *
 * Every run is a fresh app process pinned to CPU 0 (taskset), sipps on CPU 1; rounds alternate
 * which package goes first. Writes facade/results.json (with the commit and whether the tree was
 * clean) and facade/RESULTS.md. Figures are reported, never asserted; exits non-zero only when
 * the bench itself could not run.
 * Knobs (env): BENCH_FACADE_ROUNDS (3), BENCH_FACADE_WORKLOADS (comma list of uas-options,
 * uas-calls, proxy-options, proxy-calls), BENCH_FACADE_SCALE (1: multiplies the closed-loop call
 * counts), BENCH_FACADE_FIXED_S (4), BENCH_FACADE_WARM_S (3; 0 measures from the start), BENCH_FACADE_RATES (JSON of fixed rates per workload),
 * BENCH_FACADE_RSS_CALLS (200000; 0 skips); BENCH_QUIET_IDLE (0.6) and BENCH_QUIET_WAIT_MS (5000): each run
 * waits, at most that long, for a second in which the CPUs were that idle (quiet.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runSipp, SIPP } from '../transaction/sipp.mjs';
import { freePort } from '../free-port.mjs';
import { runClosedLoop } from './sipp-peers.mjs';
import { machine, source } from './provenance.mjs';
import { waitForQuiet } from './quiet.mjs';
import { renderMarkdown, summarizeRuns } from './report.mjs';
import { startWorkload, WORKLOADS } from './workloads.mjs';

const env = process.env;
const PINNED = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && os.availableParallelism() >= 2;
const SCALE = Number(env.BENCH_FACADE_SCALE ?? 1);
const SETTINGS = {
  rounds: Number(env.BENCH_FACADE_ROUNDS ?? 3),
  workloads: (env.BENCH_FACADE_WORKLOADS ?? Object.keys(WORKLOADS).join(',')).split(',').filter((w) => w in WORKLOADS),
  /**
   * Closed loop: calls per run and the window in flight; `warm` calls first, not counted (the
   * counted run lasts about 6-15 s, so its first and last seconds, which the rate leaves out, are
   * a small part of it).
   */
  loop: {
    'uas-options': { calls: Math.round(400_000 * SCALE), window: 500, warm: Math.round(100_000 * SCALE) },
    'uas-calls': { calls: Math.round(120_000 * SCALE), window: 200, warm: Math.round(30_000 * SCALE) },
    'proxy-options': { calls: Math.round(120_000 * SCALE), window: 200, warm: Math.round(30_000 * SCALE) },
    'proxy-calls': { calls: Math.round(40_000 * SCALE), window: 100, warm: Math.round(10_000 * SCALE) },
  },
  loopMaxSeconds: 40,
  /** Fixed rates below saturation for the CPU figure (per second of the workload's unit). */
  fixedRates: { 'uas-options': 5000, 'uas-calls': 1000, 'proxy-options': 2000, 'proxy-calls': 500, ...JSON.parse(env.BENCH_FACADE_RATES ?? '{}') },
  fixedSeconds: Number(env.BENCH_FACADE_FIXED_S ?? 4),
  /**
   * A fixed run first loads the fresh app this long at the same rate, then counts: the CPU of a
   * process's first seconds is mostly the JIT compiling it, more so at low rates (at 500 proxied
   * calls/s, 634 µs per call cold against 321 warm), and a server runs for longer than that.
   */
  fixedWarmSeconds: Number(env.BENCH_FACADE_WARM_S ?? 3),
  /**
   * A fixed run goes at the configured rate or at this share of the slower package's closed-loop
   * rate in the same round, whichever is lower, so that it stays below saturation on a busy machine.
   */
  fixedShareOfLoop: 0.5,
  /** RSS: the UAS after this many OPTIONS in closed loop (the issue's ~200 k in ~10 s), the same count for both. */
  rss: { calls: Math.round(Number(env.BENCH_FACADE_RSS_CALLS ?? 200_000)), window: 500 },
  rcvbuf: 4 * 1024 * 1024,
  recvTimeoutMs: 2000,
  maxFailureRate: 0.001,
  pinned: PINNED,
};
const IMPLS = ['sipts', 'classic'];

let dir = '';
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** One run: a fresh app on `impl`, sipp as load (closed loop or a fixed rate), the app's CPU and RSS. */
async function measure({ workload, impl, kind, rate, seconds, loop = SETTINGS.loop[workload] }) {
  const w = WORKLOADS[workload];
  let running;
  const quiet = await waitForQuiet();
  try {
    running = await startWorkload({ workload, impl, dir, pinned: PINNED, rcvbuf: SETTINGS.rcvbuf, timeoutMs: (SETTINGS.loopMaxSeconds * 2 + 60) * 1000 });
    await running.app.request('mark', 'marked');
    const tag = `${workload}-${impl}-${kind}`;
    const warm = kind === 'fixed' && SETTINGS.fixedWarmSeconds > 0 ? await warmUp(running, w, rate, tag) : kind === 'loop' && loop.warm > 0 ? await warmLoop(running, w, loop, tag) : undefined;
    const localPort = await freePort();
    const r =
      kind !== 'fixed'
        ? await runClosedLoop({ dir, target: `127.0.0.1:${String(running.port)}`, localPort, scenario: w.load, calls: loop.calls, window: loop.window, maxSeconds: SETTINGS.loopMaxSeconds, recvTimeoutMs: SETTINGS.recvTimeoutMs, pinned: PINNED, tag })
        : await runSipp({ dir, port: running.port, localPort, scenario: w.load, rate, seconds, limit: 10_000, recvTimeoutMs: SETTINGS.recvTimeoutMs, cpu: 1, pinned: PINNED, tag });
    const s = await running.app.request('stats', 'stats');
    const cpuMs = s.cpuUserMs + s.cpuSystemMs;
    const ok = r.error === undefined && Number.isFinite(r.completedPerSec);
    return {
      workload, impl, kind, ...r,
      warm,
      idleBefore: quiet.idle,
      ok,
      pass: ok && r.failureRate < SETTINGS.maxFailureRate,
      app: { cpuMs, wallMs: s.wallMs, cpuUsPerUnit: r.successful > 0 ? (1000 * cpuMs) / r.successful : NaN, rss: s.rss, heapUsed: s.heapUsed, maxRss: s.maxRss, requests: s.requests },
    };
  } catch (e) {
    return { workload, impl, kind, targetRate: rate, ok: false, pass: false, error: String(e?.message ?? e) };
  } finally {
    await running?.stop();
  }
}

/**
 * Loads a fresh app for {@link SETTINGS.fixedWarmSeconds} at `rate` (counted from the app's mark),
 * marks it again and returns the warm-up's own figures: its CPU per unit is the cold one.
 */
async function warmUp(running, w, rate, tag) {
  const r = await runSipp({ dir, port: running.port, localPort: await freePort(), scenario: w.load, rate, seconds: SETTINGS.fixedWarmSeconds, limit: 10_000, recvTimeoutMs: SETTINGS.recvTimeoutMs, cpu: 1, pinned: PINNED, tag: `${tag}-warm` });
  const s = await running.app.request('stats', 'stats');
  await running.app.request('mark', 'marked');
  return { seconds: SETTINGS.fixedWarmSeconds, successful: r.successful, failureRate: r.failureRate, cpuUsPerUnit: r.successful > 0 ? (1000 * (s.cpuUserMs + s.cpuSystemMs)) / r.successful : NaN };
}

/**
 * Runs `loop.warm` calls in closed loop on a fresh app (counted from the app's mark), marks it
 * again and returns the warm-up's own figures: its CPU per unit is a cold one.
 */
async function warmLoop(running, w, loop, tag) {
  const r = await runClosedLoop({ dir, target: `127.0.0.1:${String(running.port)}`, localPort: await freePort(), scenario: w.load, calls: loop.warm, window: loop.window, maxSeconds: SETTINGS.loopMaxSeconds, recvTimeoutMs: SETTINGS.recvTimeoutMs, pinned: PINNED, tag: `${tag}-warm` });
  const s = await running.app.request('stats', 'stats');
  await running.app.request('mark', 'marked');
  return { calls: loop.warm, completedPerSec: r.completedPerSec, successful: r.successful, failureRate: r.failureRate, cpuUsPerUnit: r.successful > 0 ? (1000 * (s.cpuUserMs + s.cpuSystemMs)) / r.successful : NaN };
}

/** The round's fixed rate of `workload`: the configured one, or lower when the slower closed loop was (see fixedShareOfLoop). */
function fixedRate(workload, loops) {
  const slowest = Math.min(...loops.map((r) => (r.ok ? r.completedPerSec : Infinity)));
  const step = 100;
  const cap = Number.isFinite(slowest) ? Math.max(step, Math.floor((SETTINGS.fixedShareOfLoop * slowest) / step) * step) : Infinity;
  return Math.min(SETTINGS.fixedRates[workload], cap);
}

function line(r) {
  if (!r.ok) return `${r.workload} ${r.impl} ${r.kind}: FAILED ${r.error ?? `exit ${String(r.exit)}`}`;
  const load = r.kind === 'fixed' ? `@${fmt(r.targetRate)}/s` : `${r.kind} -l ${fmt(r.window)} × ${fmt(r.calls)}`;
  return `${r.workload} ${r.impl} ${load}: ${fmt(r.completedPerSec)}/s, failed ${(100 * r.failureRate).toFixed(3)}% (${fmt(r.failed + r.unfinished)}/${fmt(r.created)}), app ${r.app.cpuUsPerUnit.toFixed(1)} µs CPU per ${WORKLOADS[r.workload].unit}, RSS ${(r.app.rss / 2 ** 20).toFixed(0)} MiB${r.pass ? '' : ' ✗'}`;
}

async function main() {
  const t0 = Date.now();
  const started = new Date();
  const loadavgAtStart = os.loadavg();
  if (spawnSync(SIPP, ['-v'], { stdio: 'ignore' }).error !== undefined) throw new Error(`${SIPP} is missing (Debian package sip-tester)`);
  const src = source();
  if (src.distStale) console.log(`warning: the dist does not match the sources (${src.distStaleReasons.join('; ')}): run \`pnpm --filter "@sipts/sip..." build\` first`);
  dir = mkdtempSync(join(os.tmpdir(), 'sipts-bench-facade-'));
  const runs = [];
  const log = (r) => {
    runs.push(r);
    console.log(`  ${line(r)}`);
  };
  try {
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      console.log(`round ${round + 1} of ${SETTINGS.rounds} (${order.join(' first, then ')})`);
      for (const workload of SETTINGS.workloads) {
        const loops = [];
        for (const impl of order) {
          const r = { round, ...(await measure({ workload, impl, kind: 'loop' })) };
          loops.push(r);
          log(r);
        }
        const rate = fixedRate(workload, loops);
        for (const impl of order) log({ round, ...(await measure({ workload, impl, kind: 'fixed', rate, seconds: SETTINGS.fixedSeconds })) });
      }
    }
    if (SETTINGS.rss.calls > 0 && SETTINGS.workloads.includes('uas-options')) {
      console.log(`UAS RSS after ${fmt(SETTINGS.rss.calls)} OPTIONS in closed loop:`);
      for (const impl of IMPLS) log({ round: 0, ...(await measure({ workload: 'uas-options', impl, kind: 'rss', loop: SETTINGS.rss })) });
    }
    const results = {
      date: started.toISOString(),
      durationSeconds: (Date.now() - t0) / 1000,
      machine: { ...machine(), loadavgAtStart, loadavgAtEnd: os.loadavg() },
      source: src,
      settings: SETTINGS,
      summary: summarizeRuns(runs, SETTINGS),
      runs,
    };
    writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(new URL('RESULTS.md', import.meta.url), renderMarkdown(results));
    for (const s of results.summary.workloads) console.log(`${s.title}: @sipts/sip ${fmt(s.rate.sipts)}/s, classic ${fmt(s.rate.classic)}/s, ×${s.rate.ratio.toFixed(2)}; CPU ${s.cpu.sipts.toFixed(1)} vs ${s.cpu.classic.toFixed(1)} µs per ${s.unit}`);
    console.log(`wrote bench/facade/RESULTS.md and results.json in ${results.durationSeconds.toFixed(0)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
