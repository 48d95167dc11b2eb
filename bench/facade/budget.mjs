/**
 * `pnpm bench:budget` : where each microsecond of a transaction goes. Runs the facade bench's
 * classic-API apps (uas.mjs, proxy.mjs) on @sipts/sip and on sip@0.0.6 at a fixed rate below
 * saturation with the V8 CPU profiler on over the loaded window only (app-ipc.mjs; the profiler
 * of `node --cpu-prof`, 250 µs sampling), maps each sample's self time to a stage (stages.mjs) and
 * divides by the completed transactions or calls.
 *
 * Writes facade/budget-<label>.json (figures, top functions per stage; the .cpuprofile files are
 * kept in facade/profiles-<label>/, not committed) and replaces the generated table between
 * `<!-- budget:<label> -->` and `<!-- /budget:<label> -->` in bench/BUDGET.md (appended when
 * absent). The reading in BUDGET.md is written by hand.
 * Knobs (env): BENCH_BUDGET_LABEL (after), BENCH_BUDGET_WORKLOADS (uas-options,proxy-calls),
 * BENCH_BUDGET_RATES (JSON, default {"uas-options":2000,"uas-calls":500,"proxy-options":1000,
 * "proxy-calls":200}), BENCH_BUDGET_SECONDS (8), BENCH_BUDGET_IMPLS (sipts,classic; one of them for a probe).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSipp } from '../transaction/sipp.mjs';
import { freePort } from '../free-port.mjs';
import { machine, source } from './provenance.mjs';
import { STAGES, stageTimes } from './stages.mjs';
import { waitForQuiet } from './quiet.mjs';
import { startWorkload, WORKLOADS } from './workloads.mjs';

const env = process.env;
const PINNED = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && os.availableParallelism() >= 2;
const LABEL = env.BENCH_BUDGET_LABEL ?? 'after';
const SETTINGS = {
  label: LABEL,
  workloads: (env.BENCH_BUDGET_WORKLOADS ?? 'uas-options,proxy-calls').split(',').filter((w) => w in WORKLOADS),
  /** The "before" table's rates: an after table compares only at the same rates (a busier process batches more per wake-up). */
  rates: { 'uas-options': 2000, 'uas-calls': 500, 'proxy-options': 1000, 'proxy-calls': 200, ...JSON.parse(env.BENCH_BUDGET_RATES ?? '{}') },
  seconds: Number(env.BENCH_BUDGET_SECONDS ?? 8),
  samplingIntervalUs: 250,
  rcvbuf: 4 * 1024 * 1024,
  pinned: PINNED,
};
const IMPLS = (env.BENCH_BUDGET_IMPLS ?? 'sipts,classic').split(',').filter((i) => i === 'sipts' || i === 'classic');
const NAMES = { sipts: '@sipts/sip', classic: 'classic' };
const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The app's CPU µs per unit in the same run without the profiler: what the profiler itself costs shows beside it. */
async function unprofiled(workload, impl, dir) {
  let running;
  try {
    running = await startWorkload({ workload, impl, dir, pinned: PINNED, rcvbuf: SETTINGS.rcvbuf, timeoutMs: (SETTINGS.seconds * 3 + 60) * 1000 });
    await running.app.request('mark', 'marked');
    const r = await runSipp({ dir, port: running.port, localPort: await freePort(), scenario: WORKLOADS[workload].load, rate: SETTINGS.rates[workload], seconds: SETTINGS.seconds, limit: 10_000, cpu: 1, pinned: PINNED, tag: `${workload}-${impl}-plain` });
    const s = await running.app.request('stats', 'stats');
    return { cpuUsPerUnit: (1000 * (s.cpuUserMs + s.cpuSystemMs)) / r.successful, failureRate: r.failureRate };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  } finally {
    await running?.stop();
  }
}

/**
 * `run()` again while it fails 0.1% or more of its load (at most `attempts` times): on a shared
 * machine a starved sipp or app fails a whole run, and a failed run's µs per unit mean nothing.
 */
async function retried(run, attempts = 3) {
  let r;
  for (let i = 0; i < attempts; i++) {
    const quiet = await waitForQuiet();
    r = await run();
    r.idleBefore = quiet.idle;
    r.attempts = i + 1;
    if (r.error === undefined && r.failureRate < 0.001) break;
  }
  return r;
}

/** One profiled run of `impl` on `workload` at the workload's rate. */
async function profiled(workload, impl, dir, profDir) {
  const profile = join(profDir, `${workload}-${impl}.cpuprofile`);
  const rate = SETTINGS.rates[workload];
  let running;
  try {
    const plain = await retried(() => unprofiled(workload, impl, dir));
    running = await startWorkload({ workload, impl, dir, pinned: PINNED, rcvbuf: SETTINGS.rcvbuf, profile, samplingIntervalUs: SETTINGS.samplingIntervalUs, timeoutMs: (SETTINGS.seconds * 3 + 60) * 1000 });
    await running.app.request('mark', 'marked');
    await running.app.request('profile-start', 'profile-started');
    const r = await runSipp({ dir, port: running.port, localPort: await freePort(), scenario: WORKLOADS[workload].load, rate, seconds: SETTINGS.seconds, limit: 10_000, cpu: 1, pinned: PINNED, tag: `${workload}-${impl}` });
    const written = await running.app.request('profile-stop', 'profile-written', 30_000);
    const s = await running.app.request('stats', 'stats');
    if (written.error !== undefined) throw new Error(`profiler: ${written.error}`);
    const times = stageTimes(JSON.parse(readFileSync(profile, 'utf8')));
    const n = r.successful;
    const per = (us) => us / n;
    return {
      workload, impl, rate,
      completed: n,
      failureRate: r.failureRate,
      completedPerSec: r.completedPerSec,
      cpuUsPerUnit: per(1000 * (s.cpuUserMs + s.cpuSystemMs)),
      unprofiled: plain,
      profileBusyUsPerUnit: per(times.busyUs - times.stages.harness.us),
      stages: Object.fromEntries(Object.entries(times.stages).map(([k, v]) => [k, { usPerUnit: per(v.us), top: v.top.map(([f, us]) => [f, Number(per(us).toFixed(2))]) }])),
    };
  } catch (e) {
    return { workload, impl, rate, error: String(e?.message ?? e) };
  } finally {
    await running?.stop();
  }
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

/** The generated part of BUDGET.md for one label. */
export function renderBudget(b) {
  const cols = b.runs;
  const head = cols.map((r) => `${NAMES[r.impl]} ${r.workload} @${r.rate}/s`);
  const lines = [];
  const p = (x = '') => lines.push(x);
  p(`Generated by \`pnpm bench:budget\` (BENCH_BUDGET_LABEL=${b.settings.label}) on ${b.date}, commit ${b.source.short} (packages/ as of ${b.source.packagesCommit}${b.source.clean ? '' : ', with uncommitted changes'})${b.source.distStale ? ', **dist not built from these sources**' : ''}; ${b.machine.cpu}, Node ${b.machine.node}, load average ${b.loadavg.map((x) => x.toFixed(1)).join(' / ')}; µs of self time per transaction (OPTIONS) or per call, from a ${b.settings.seconds}-s run at the rate named; raw figures in bench/facade/budget-${b.settings.label}.json.`);
  p();
  p(`| stage | ${head.join(' | ')} |`);
  p(`|---|${cols.map(() => '---:').join('|')}|`);
  for (const [k, title] of STAGES) {
    if (cols.every((r) => !(r.stages?.[k]?.usPerUnit > 0.05))) continue;
    p(`| ${title} | ${cols.map((r) => f1(r.stages?.[k]?.usPerUnit)).join(' | ')} |`);
  }
  p(`| **sum: main-thread busy time in the profile, without the harness** | ${cols.map((r) => `**${f1(r.profileBusyUsPerUnit)}**`).join(' | ')} |`);
  p(`| process CPU (user+sys, all threads), profiled run | ${cols.map((r) => f1(r.cpuUsPerUnit)).join(' | ')} |`);
  p(`| process CPU, same load without the profiler | ${cols.map((r) => `${f1(r.unprofiled?.cpuUsPerUnit)}${r.unprofiled?.failureRate >= 0.001 ? ` (✗ ${(100 * r.unprofiled.failureRate).toFixed(1)}% failed)` : ''}`).join(' | ')} |`);
  p(`| completed (failed; attempts) | ${cols.map((r) => (r.error ? `error: ${r.error}` : `${r.completed.toLocaleString('en-US')} (${(100 * r.failureRate).toFixed(2)}%; ${r.attempts})`)).join(' | ')} |`);
  p();
  p('<details><summary>Top functions per stage (µs per unit)</summary>');
  p();
  for (const r of cols) {
    if (r.error) continue;
    p(`**${NAMES[r.impl]} ${r.workload}**`);
    p();
    for (const [k, title] of STAGES) {
      const st = r.stages[k];
      if (!(st?.usPerUnit > 0.3)) continue;
      p(`- ${title}: ${st.top.slice(0, 4).map(([fn, us]) => `\`${fn}\` ${us}`).join(', ')}`);
    }
    p();
  }
  p('</details>');
  return lines.join('\n');
}

function updateBudgetMd(label, text) {
  const file = join(HERE, '..', 'BUDGET.md');
  const open = `<!-- budget:${label} -->`;
  const close = `<!-- /budget:${label} -->`;
  const block = `${open}\n${text}\n${close}`;
  let md = existsSync(file) ? readFileSync(file, 'utf8') : '# µs budget per transaction\n';
  const a = md.indexOf(open);
  const z = md.indexOf(close);
  md = a >= 0 && z > a ? md.slice(0, a) + block + md.slice(z + close.length) : `${md.trimEnd()}\n\n## ${label}\n\n${block}\n`;
  writeFileSync(file, md);
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'sipts-bench-budget-'));
  const profDir = join(HERE, `profiles-${LABEL}`);
  mkdirSync(profDir, { recursive: true });
  const src = source();
  if (src.distStale) console.log(`warning: the dist does not match the sources (${src.distStaleReasons.join('; ')}): run \`pnpm --filter "@sipts/sip..." build\` first`);
  const loadavg = os.loadavg();
  const runs = [];
  try {
    for (const workload of SETTINGS.workloads) {
      for (const impl of IMPLS) {
        const r = await retried(() => profiled(workload, impl, dir, profDir));
        runs.push(r);
        console.log(r.error ? `${workload} ${impl}: ${r.error}` : `${workload} ${impl} @${r.rate}/s: ${r.completed} completed, ${(100 * r.failureRate).toFixed(2)}% failed; profile ${f1(r.profileBusyUsPerUnit)} µs, process CPU ${f1(r.cpuUsPerUnit)} µs (${f1(r.unprofiled?.cpuUsPerUnit)} without the profiler) per ${WORKLOADS[workload].unit}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const b = { date: new Date().toISOString(), machine: machine(), loadavg, source: src, settings: SETTINGS, runs };
  writeFileSync(join(HERE, `budget-${LABEL}.json`), `${JSON.stringify(b, null, 2)}\n`);
  updateBudgetMd(LABEL, renderBudget(b));
  console.log(`wrote bench/facade/budget-${LABEL}.json and the "${LABEL}" table of bench/BUDGET.md (profiles in bench/facade/profiles-${LABEL}/)`);
}

await main();
