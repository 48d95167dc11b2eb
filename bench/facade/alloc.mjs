/**
 * Bytes allocated and CPU µs per unit (transaction, call, proxied call) of the facade bench's apps,
 * @sipts/sip and the classic package side by side in one run. The allocation figure does not depend
 * on what else the machine runs: the app runs with a young generation large enough that no
 * collection runs in the measured window (`gcs` says so: a row with a collection is marked), and
 * the bytes are the heap's growth over a fixed number of units. The CPU figure is the app's user +
 * sys time over the same units, at a low fixed window of calls in flight; on a shared machine read
 * it as a same-run ratio only.
 *
 *   node facade/alloc.mjs                      # every workload, 3 rounds, 1,000-2,000 units each
 *   BENCH_ALLOC_WORKLOADS=proxy-calls BENCH_ALLOC_UNITS=1000 node facade/alloc.mjs
 *   BENCH_ALLOC_NODE_OPTIONS='--heap-prof --heap-prof-dir=/tmp/hp' …   # where the bytes go, per function
 *
 * Needs the built dist (`pnpm --filter "@sipts/sip..." build`) and sipp. Writes alloc-results.json
 * (with the commit and whether the tree was clean). Bounded: sipp -m and a timeout per run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { gitProvenance, describeGit } from '../provenance.mjs';
import { runClosedLoop } from './sipp-peers.mjs';
import { startWorkload, WORKLOADS } from './workloads.mjs';

const IMPLS = (process.env.BENCH_ALLOC_IMPLS ?? 'sipts,classic').split(',');
/** Units per workload: as many as the young generation holds for both packages (a proxied call of the classic package allocates over 100 KB). */
const UNITS = { 'uas-options': 2000, 'uas-calls': 2000, 'proxy-options': 2000, 'proxy-calls': 1000 };
const unitsOf = (workload) => Number(process.env.BENCH_ALLOC_UNITS ?? UNITS[workload] ?? 1000);
const rounds = Number(process.env.BENCH_ALLOC_ROUNDS ?? 3);
const workloads = (process.env.BENCH_ALLOC_WORKLOADS ?? Object.keys(WORKLOADS).join(',')).split(',');
/** Calls in flight: low, so that the CPU figure is the cost of the work, not of a backlog. */
const WINDOW = 10;
/** A young generation this large holds every allocation of the window (semi-space size, MB). */
const EXEC_ARGV = ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256', ...(process.env.BENCH_ALLOC_NODE_OPTIONS ?? '').split(' ').filter((x) => x !== '')];
const OUT = fileURLToPath(new URL('alloc-results.json', import.meta.url));

async function measure(dir, workload, impl) {
  const run = await startWorkload({ workload, impl, dir, pinned: false, rcvbuf: 4 * 2 ** 20, execArgv: EXEC_ARGV, timeoutMs: 300_000 });
  try {
    const w = WORKLOADS[workload];
    const target = `127.0.0.1:${String(run.port)}`;
    const loop = async (calls, tag) => runClosedLoop({ dir, target, localPort: await freePort(), scenario: w.load, calls, window: WINDOW, maxSeconds: 120, pinned: false, tag });
    const units = unitsOf(workload);
    const warm = await loop(Math.min(units, 1000), 'warm');
    await run.app.request('alloc-start', 'alloc-started');
    const loaded = await loop(units, 'alloc');
    const a = await run.app.request('alloc-stop', 'alloc');
    const done = loaded.successful ?? NaN;
    return {
      workload,
      impl,
      units: done,
      failed: units - done,
      warmFailed: Math.min(units, 1000) - (warm.successful ?? 0),
      bytesPerUnit: a.bytes / done,
      cpuUsPerUnit: a.cpuUs / done,
      gcs: a.gcs,
    };
  } finally {
    await run.stop();
  }
}

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'sipts-bench-alloc-'));
  const started = new Date();
  const loadavgAtStart = os.loadavg();
  const rows = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const workload of workloads) {
        for (const impl of order) {
          const r = { round, ...(await measure(dir, workload, impl)) };
          rows.push(r);
          console.log(`${workload} ${impl}: ${fmt(r.bytesPerUnit)} B and ${r.cpuUsPerUnit.toFixed(1)} µs CPU per ${WORKLOADS[workload].unit} (${fmt(r.units)} done, ${fmt(r.failed)} failed, ${String(r.gcs)} GCs in the window)`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const git = gitProvenance({ outputs: ['bench/facade/alloc-results.json'] });
  console.log(`\n${describeGit(git)}; load average at start ${loadavgAtStart.map((x) => x.toFixed(1)).join(' / ')}`);
  console.log('\n| workload | B per unit, @sipts/sip | B, classic | ratio | CPU µs, @sipts/sip | CPU µs, classic | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const workload of workloads) {
    const median = (impl, key) => {
      const xs = rows.filter((r) => r.workload === workload && r.impl === impl && r.gcs === 0).map((r) => r[key]).sort((a, b) => a - b);
      return xs.length === 0 ? NaN : xs[Math.floor(xs.length / 2)];
    };
    const [bs, bc, cs, cc] = [median('sipts', 'bytesPerUnit'), median('classic', 'bytesPerUnit'), median('sipts', 'cpuUsPerUnit'), median('classic', 'cpuUsPerUnit')];
    console.log(`| ${WORKLOADS[workload].title} | ${fmt(bs)} | ${fmt(bc)} | ${(bs / bc).toFixed(2)} | ${cs.toFixed(1)} | ${cc.toFixed(1)} | ${(cs / cc).toFixed(2)} |`);
  }
  writeFileSync(OUT, `${JSON.stringify({ started: started.toISOString(), git, loadavgAtStart, node: process.version, units: Object.fromEntries(workloads.map((w) => [w, unitsOf(w)])), rounds, window: WINDOW, rows }, null, 2)}\n`);
}

await main();
