/**
 * `pnpm bench:proxy` (also run by `pnpm bench`): calls per second through @sipts/proxy
 * (createProxyStack, UDP, Record-Route on; the built dist) and through the classic `sip` package's
 * proxy module (npm sip@0.0.6), sipp UAC (`-sn uac`) → proxy → sipp UAS (`-sn uas`) on 127.0.0.1.
 * Each proxy runs in a fresh process pinned to CPU 0 per run; both sipps on CPU 1. A ladder of
 * rates, climbed until a run fails more than 0.1% of its calls or completes under 90% of its
 * target; the best passing rate is reported with the proxy's CPU (user+sys) and RSS. kamailio
 * (tm, children=1) in the same setup as the reference. Then a memory soak at 50% of our top rate
 * for BENCH_PROXY_SOAK_S seconds (default 300, as the issue asks; 60 with BENCH_PROXY_QUICK), the
 * proxy run with --expose-gc: the heap is read after a forced GC before the load (the floor of a
 * started stack), every 10 s under load and 35 s after it, so the heap floor and the memory per
 * live transaction and per call are read, not the garbage a collection had not reached yet.
 * Writes proxy/results.json and proxy/RESULTS.md. Figures are reported, never asserted.
 * Overrides: BENCH_PROXY_SECONDS (per run, default 4), BENCH_PROXY_SOAK_S, BENCH_PROXY_QUICK=1,
 * BENCH_PROXY_LADDER (comma list of rates), BENCH_PROXY_NO_KAMAILIO=1, BENCH_PROXY_SOAK_RATE (calls/s).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { startUas } from '../transaction/proc.mjs';
import { runSipp, SIPP } from '../transaction/sipp.mjs';
import { renderMarkdown } from './report.mjs';
import { freePort } from '../free-port.mjs';
import { gitProvenance, repoPath } from '../provenance.mjs';

const require = createRequire(import.meta.url);
const env = process.env;
const QUICK = env.BENCH_PROXY_QUICK !== undefined;
const PINNED = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && os.availableParallelism() >= 2;
const KAMAILIO = '/usr/sbin/kamailio';
const SETTINGS = {
  seconds: Number(env.BENCH_PROXY_SECONDS ?? 4),
  soakSeconds: Number(env.BENCH_PROXY_SOAK_S ?? (QUICK ? 60 : 300)),
  soakSampleMs: 10_000,
  /** The soak's rate when set; otherwise half our top rate (and no soak without a passing run). */
  soakRate: env.BENCH_PROXY_SOAK_RATE !== undefined ? Number(env.BENCH_PROXY_SOAK_RATE) : undefined,
  /** How long a call's transactions outlive it (Timers D, J, L, M: 64·T1): per-call memory = growth / (rate × this). */
  callHoldSeconds: 32,
  limit: 5000,
  rcvbuf: 4 * 1024 * 1024,
  maxFailureRate: 0.001,
  keepUp: 0.9,
  ladder: env.BENCH_PROXY_LADDER !== undefined ? env.BENCH_PROXY_LADDER.split(',').map(Number) : QUICK ? [500, 1000] : [500, 1000, 1500, 2000, 3000, 4000, 5000, 6000],
  pinned: PINNED,
};
const KINDS = { sipts: '../proxy/proxy-sipts.mjs', classic: '../proxy/proxy-classic.mjs' };

const live = new Set();
process.on('exit', () => {
  for (const c of live) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
});

/**
 * The sipp UAS listens on 127.0.0.2: sip@0.0.6 takes any next hop on its own host (127.0.0.1) for
 * itself and answers 404, so the UAS must be on another loopback address (the same for every proxy).
 */
const UAS_HOST = '127.0.0.2';


/** A detached child (its own process group), pinned to `cpu`, killed by the returned stop(). */
function startChild(cmd, args, { cwd, cpu, timeoutMs }) {
  const argv = PINNED ? ['-c', String(cpu), cmd, ...args] : args;
  const child = spawn(PINNED ? 'taskset' : cmd, argv, { cwd, stdio: 'ignore', detached: true });
  live.add(child);
  child.on('error', () => undefined);
  const exited = new Promise((r) => child.on('exit', r));
  const kill = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const killer = setTimeout(kill, timeoutMs);
  return {
    pid: child.pid,
    async stop() {
      kill();
      await exited;
      clearTimeout(killer);
      live.delete(child);
    },
  };
}

/** sipp's built-in `uas` on CPU 1 (no call limit: stopped after the run). */
async function startSippUas(dir, seconds) {
  const port = await freePort(UAS_HOST);
  const child = startChild(SIPP, ['-sn', 'uas', '-t', 'u1', '-i', UAS_HOST, '-p', String(port), '-nostdin', '-buff_size', '4194304'], { cwd: dir, cpu: 1, timeoutMs: (seconds * 3 + 60) * 1000 });
  await new Promise((r) => setTimeout(r, 300));
  return { port, stop: child.stop };
}

function kamailioConfig(port, uas) {
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "rr.so"
request_route {
  if (method == "INVITE") { record_route(); }
  $ru = "${uas}";
  if (!t_relay()) { sl_reply_error(); }
  exit;
}
`;
}

/** The proxy under test as a running process with a stats() returning CPU ms and RSS. */
async function startProxy(kind, dir, uasUri, seconds, execArgv = []) {
  const port = await freePort();
  if (kind === 'kamailio') {
    const cfg = join(dir, 'kamailio.cfg');
    writeFileSync(cfg, kamailioConfig(port, uasUri));
    const run = join(dir, 'kam-run');
    mkdirSync(run, { recursive: true });
    const child = startChild(KAMAILIO, ['-DD', '-E', '-f', cfg, '-Y', run, '-w', dir, '-m', '256', '-M', '32'], { cwd: dir, cpu: 0, timeoutMs: (seconds * 3 + 60) * 1000 });
    await new Promise((r) => setTimeout(r, 1500));
    const cpu = () => {
      // every process of kamailio's group: /proc/<pid>/stat utime+stime (clock ticks) and RSS pages
      const pids = spawnSync('pgrep', ['-g', String(child.pid)], { encoding: 'latin1' }).stdout.trim().split('\n').filter(Boolean);
      let ticks = 0;
      let rss = 0;
      for (const pid of pids) {
        try {
          const f = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
          ticks += Number(f[11]) + Number(f[12]);
          rss += Number(f[21]) * 4096;
        } catch {
          // exited
        }
      }
      return { cpuMs: (ticks * 1000) / 100, rss };
    };
    let c0 = cpu();
    let t0 = performance.now();
    return {
      port,
      mark: async () => {
        c0 = cpu();
        t0 = performance.now();
      },
      stats: async () => {
        const c = cpu();
        return { wallMs: performance.now() - t0, cpuMs: c.cpuMs - c0.cpuMs, rss: c.rss };
      },
      stop: child.stop,
    };
  }
  const p = await startUas(KINDS[kind], { port, uas: uasUri, rcvbuf: SETTINGS.rcvbuf }, { cpu: 0, pinned: PINNED, execArgv, timeoutMs: (Math.max(seconds, SETTINGS.soakSeconds) * 3 + 60) * 1000 });
  return {
    port,
    mark: () => p.request('mark', 'marked'),
    stats: async () => {
      const s = await p.request('stats', 'stats');
      return { ...s, cpuMs: s.cpuUserMs + s.cpuSystemMs };
    },
    gcStats: () => p.request('gc', 'gced', 30_000),
    stop: p.stop,
  };
}

/** One run at `rate`: fresh proxy and sipp UAS, sipp UAC for `seconds`. */
async function runOnce(kind, rate, seconds, dir) {
  const uas = await startSippUas(dir, seconds);
  const proxy = await startProxy(kind, dir, `sip:service@${UAS_HOST}:${uas.port}`, seconds);
  try {
    await proxy.mark();
    const r = await runSipp({ dir, port: proxy.port, localPort: await freePort(), scenario: ['-sn', 'uac'], rate, seconds, limit: SETTINGS.limit, pinned: PINNED, cpu: 1, tag: `${kind}-${rate}` });
    const s = await proxy.stats();
    return { kind, ...r, proxyCpuPercent: (100 * s.cpuMs) / s.wallMs, proxyRss: s.rss, proxyHeapUsed: s.heapUsed, contextsAfter: s.contexts };
  } finally {
    await proxy.stop();
    await uas.stop();
  }
}

const passes = (r) => Number.isFinite(r.completedPerSec) && r.failureRate <= SETTINGS.maxFailureRate && r.completedPerSec >= SETTINGS.keepUp * r.targetRate;

async function ladder(kind, dir, log) {
  const runs = [];
  for (const rate of SETTINGS.ladder) {
    const r = await runOnce(kind, rate, SETTINGS.seconds, dir);
    runs.push(r);
    log(`${kind} @ ${rate}/s: ${Math.round(r.completedPerSec)} calls/s, failed ${(100 * r.failureRate).toFixed(3)}%, CPU ${Math.round(r.proxyCpuPercent)}%, RSS ${Math.round(r.proxyRss / 1048576)} MiB`);
    if (!passes(r)) break;
  }
  const ok = runs.filter(passes);
  const best = ok.reduce((a, r) => (a === undefined || r.completedPerSec > a.completedPerSec ? r : a), undefined);
  return { best, runs };
}

/** Soak at `rate`: one proxy, its heap sampled after a forced GC before, during and after the load. */
async function soak(rate, dir, log) {
  const seconds = SETTINGS.soakSeconds;
  const uas = await startSippUas(dir, seconds);
  const proxy = await startProxy('sipts', dir, `sip:service@${UAS_HOST}:${uas.port}`, seconds, ['--expose-gc']);
  const samples = [];
  const t0 = Date.now();
  const sample = async () => {
    const s = await proxy.gcStats();
    return { t: (Date.now() - t0) / 1000, rss: s.rss, heapUsed: s.heapUsed, contexts: s.contexts, transactions: s.transactions, collected: s.collected };
  };
  try {
    const floor = await sample();
    log(`soak floor before the load (after GC): rss ${Math.round(floor.rss / 1048576)} MiB heap ${(floor.heapUsed / 1048576).toFixed(1)} MiB`);
    await proxy.mark();
    const running = runSipp({ dir, port: proxy.port, localPort: await freePort(), scenario: ['-sn', 'uac'], rate, seconds, limit: SETTINGS.limit, pinned: PINNED, cpu: 1, tag: 'soak' });
    let done = false;
    void running.then(() => {
      done = true;
    });
    while (!done) {
      await new Promise((r) => setTimeout(r, SETTINGS.soakSampleMs));
      if (done) break;
      const s = await sample();
      samples.push(s);
      log(`soak t=${Math.round(s.t)}s rss ${Math.round(s.rss / 1048576)} MiB heap after GC ${(s.heapUsed / 1048576).toFixed(1)} MiB contexts ${s.contexts} transactions ${s.transactions}`);
    }
    const r = await running;
    const cpu = await proxy.stats();
    // after the load: let the transaction timers (Timer D/J/L/M 32 s) run out, then one more sample
    await new Promise((res) => setTimeout(res, 35_000));
    const after = await sample();
    log(`soak 35 s after the load (after GC): rss ${Math.round(after.rss / 1048576)} MiB heap ${(after.heapUsed / 1048576).toFixed(1)} MiB transactions ${after.transactions}`);
    return { rate, seconds, run: r, cpuUsPerCall: r.successful > 0 ? (1000 * cpu.cpuMs) / r.successful : NaN, floor, samples, after, perCall: perCallMemory({ floor, samples, rate }) };
  } finally {
    await proxy.stop();
    await uas.stop();
  }
}

/**
 * Memory retained per live transaction and per call under steady load: the median heap after GC
 * of the samples taken once the transactions of the first calls have started to expire (t ≥ 40 s),
 * less the floor before the load, over the live transactions of each sample, and over the calls
 * of the last callHoldSeconds (rate × 32 s: a call's transactions live that long after it).
 */
export function perCallMemory({ floor, samples, rate }) {
  const steady = samples.filter((s) => s.t >= SETTINGS.callHoldSeconds + 8);
  if (steady.length === 0 || floor === undefined) return undefined;
  const med = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const growth = med(steady.map((s) => s.heapUsed - floor.heapUsed));
  return {
    steadySamples: steady.length,
    heapGrowth: growth,
    perTransaction: med(steady.map((s) => (s.heapUsed - floor.heapUsed) / Math.max(1, s.transactions))),
    perCall: growth / (rate * SETTINGS.callHoldSeconds),
    liveTransactions: med(steady.map((s) => s.transactions)),
  };
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'sipts-bench-proxy-'));
  const log = (m) => process.stderr.write(`${m}\n`);
  try {
    const sipts = await ladder('sipts', dir, log);
    const classic = await ladder('classic', dir, log);
    let kamailio;
    if (spawnSync(KAMAILIO, ['-v'], { stdio: 'ignore' }).status === 0 && env.BENCH_PROXY_NO_KAMAILIO === undefined) kamailio = await ladder('kamailio', dir, log);
    const top = sipts.best?.completedPerSec ?? NaN;
    const soakRate = SETTINGS.soakRate ?? (Number.isFinite(top) ? Math.max(100, Math.round(top / 2 / 100) * 100) : NaN);
    const soakResult = Number.isFinite(soakRate) && SETTINGS.soakSeconds > 0 ? await soak(soakRate, dir, log) : undefined;
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
      settings: SETTINGS,
      git: gitProvenance({ outputs: ['bench/proxy/results.json', 'bench/proxy/RESULTS.md'] }),
      source: { dist: repoPath(require.resolve('@sipts/proxy/node')), classic: `sip@${require('sip/package.json').version}`, sipp: spawnSync(SIPP, ['-v'], { encoding: 'latin1' }).stdout.match(/SIPp v[^ ,]+/)?.[0] },
      sipts,
      classic,
      kamailio,
      ratio: top / (classic.best?.completedPerSec ?? NaN),
      soak: soakResult,
    };
    writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(new URL('RESULTS.md', import.meta.url), renderMarkdown(results));
    log(`sipts ${Math.round(top)} calls/s, classic ${Math.round(classic.best?.completedPerSec ?? NaN)} calls/s, ratio ${results.ratio.toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
