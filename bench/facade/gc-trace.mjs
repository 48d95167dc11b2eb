/**
 * What young collections copy per unit in the facade bench's own apps under sipp, at a fixed rate:
 * the app (uas.mjs or proxy.mjs, as the facade bench starts it) runs with `--trace-gc-nvp`, and the
 * scavenges between the start and the end of the sipp run are summed. Unlike gc-probe.mjs (dgram
 * peers in one process, a small window), this is the load the facade bench measures, so it shows
 * what a busy start-up does to V8's pretenuring decisions (bench/BUDGET.md, eighth pass).
 *
 *   node facade/gc-trace.mjs                                   # proxy-calls, 3,000/s, 4 s, both packages
 *   BENCH_GCT_WORKLOAD=uas-calls BENCH_GCT_RATE=10000 node facade/gc-trace.mjs
 *   BENCH_GCT_FLAGS=--no-allocation-site-pretenuring BENCH_GCT_IMPLS=sipts node facade/gc-trace.mjs
 *
 * Needs the built dist and sipp. Loopback only. Bounded: one sipp run of BENCH_GCT_SECONDS per
 * package, a timeout on the app. Prints a Markdown table; writes nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { describeGit, gitProvenance } from '../provenance.mjs';
import { runSipp } from '../transaction/sipp.mjs';
import { startWorkload, WORKLOADS } from './workloads.mjs';

const env = process.env;
const WORKLOAD = env.BENCH_GCT_WORKLOAD ?? 'proxy-calls';
const RATE = Number(env.BENCH_GCT_RATE ?? 3000);
const SECONDS = Number(env.BENCH_GCT_SECONDS ?? 4);
const IMPLS = (env.BENCH_GCT_IMPLS ?? 'sipts,classic').split(',');
const FLAGS = (env.BENCH_GCT_FLAGS ?? '').split(' ').filter((f) => f !== '');
const SELF = fileURLToPath(import.meta.url);

/** The child: starts the app (its trace goes to this process's stdout) and marks the sipp run. */
async function child(impl) {
  const dir = mkdtempSync(join(os.tmpdir(), 'gc-trace-'));
  const running = await startWorkload({ workload: WORKLOAD, impl, dir, pinned: true, rcvbuf: 4 << 20, timeoutMs: (SECONDS * 3 + 60) * 1000, execArgv: ['--trace-gc-nvp', ...FLAGS] });
  try {
    console.log('MARK-START');
    const r = await runSipp({ dir, port: running.port, localPort: await freePort(), scenario: WORKLOADS[WORKLOAD].load, rate: RATE, seconds: SECONDS, limit: 10_000, cpu: 1, pinned: true, tag: `gc-trace-${impl}` });
    console.log(`MARK-END ${JSON.stringify({ units: r.successful, failureRate: r.failureRate })}`);
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sums the trace between the marks: scavenges and full collections apart. */
function summarize(out) {
  const from = out.indexOf('MARK-START');
  const to = out.indexOf('MARK-END');
  const result = JSON.parse(/MARK-END (.*)/.exec(out)?.[1] ?? '{"units":0}');
  const sums = { s: { n: 0, ms: 0, allocated: 0, promoted: 0, survived: 0 }, mc: { n: 0, ms: 0 } };
  for (const m of out.slice(from, to).matchAll(/pause=([\d.]+)[^\n]*? gc=(s|mc|ms)\b[^\n]*?allocated=(\d+)[^\n]*?promoted=(\d+)[^\n]*?new_space_survived=(\d+)/g)) {
    const s = m[2] === 's' ? sums.s : sums.mc;
    s.n++;
    s.ms += Number(m[1]);
    if (m[2] === 's') {
      sums.s.allocated += Number(m[3]);
      sums.s.promoted += Number(m[4]);
      sums.s.survived += Number(m[5]);
    }
  }
  return { ...result, ...sums };
}

function run(impl) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SELF, 'child', impl], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', () => resolve({ impl, ...summarize(out) }));
  });
}

async function main() {
  const rows = [];
  for (const impl of IMPLS) rows.push(await run(impl));
  console.log(`\n${describeGit(gitProvenance({ outputs: [] }))}; ${WORKLOAD} at ${String(RATE)}/s for ${String(SECONDS)} s${FLAGS.length > 0 ? `; app flags ${FLAGS.join(' ')}` : ''}\n`);
  console.log('| package | units | failed | scavenges | µs of scavenge per unit | young bytes allocated per unit | surviving a scavenge per unit | promoted per unit | full GCs |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const per = (x) => (r.units > 0 ? Math.round(x / r.units).toLocaleString('en-US') : '–');
    console.log(`| ${r.impl === 'sipts' ? '@sipts/sip' : 'classic'} | ${String(r.units)} | ${((r.failureRate ?? 0) * 100).toFixed(2)}% | ${String(r.s.n)} | ${r.units > 0 ? ((1000 * r.s.ms) / r.units).toFixed(1) : '–'} | ${per(r.s.allocated)} | ${per(r.s.survived)} | ${per(r.s.promoted)} | ${String(r.mc.n)} |`);
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]);
else await main();
