/**
 * `pnpm --filter @sipts/bench bench:b2bua`: calls per second through the example B2BUA
 * (apps/b2bua: @sipts/dialog's createB2BUA, two legs per call, UDP) between sipp UAC (`-sn uac`) and
 * sipp UAS (`-sn uas`) on 127.0.0.1, with the B2BUA's CPU time (user+sys from /proc) per call.
 * A short ladder of rates, each run bounded in calls and time; a run passes when every call
 * succeeds and it completes within 110% of its planned time. Figures are reported, never asserted.
 * Writes b2bua/results.json and b2bua/RESULTS.md. Overrides: BENCH_B2BUA_SECONDS (default 4),
 * BENCH_B2BUA_RATES (comma-separated, default 100,200,400,800).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { describeGit, gitProvenance } from '../provenance.mjs';

const SIPP = '/usr/bin/sipp';
const BIN = fileURLToPath(new URL('../../apps/b2bua/bin/sipts-b2bua.js', import.meta.url));
const SECONDS = Number(process.env.BENCH_B2BUA_SECONDS ?? 4);
const RATES = (process.env.BENCH_B2BUA_RATES ?? '100,200,400,800').split(',').map(Number);
const TICK = os.constants ? 100 : 100; // USER_HZ on Linux

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK;
}

function run(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

function counts(file) {
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  const names = lines[0].split(';');
  const values = lines.at(-1).split(';');
  const s = Object.fromEntries(names.map((n, i) => [n, values[i]]));
  return { ok: Number(s['SuccessfulCall(C)']), failed: Number(s['FailedCall(C)']) };
}

async function once(rate) {
  const work = mkdtempSync(join(os.tmpdir(), 'bench-b2bua-'));
  const calls = rate * SECONDS;
  const uasPort = await freePort();
  const port = await freePort();
  const common = ['-i', '127.0.0.1', '-m', String(calls), '-nostdin', '-timeout', `${SECONDS * 3 + 10}s`, '-trace_stat'];
  const uas = run(SIPP, ['-sn', 'uas', '-p', String(uasPort), ...common, '-stf', join(work, 'uas.csv')], (SECONDS * 3 + 15) * 1000);
  const b2b = spawn(process.execPath, [BIN, '--listen', `127.0.0.1:${port}`, '--target', `127.0.0.1:${uasPort}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => b2b.stdout.once('data', r));
  const cpu0 = cpuMs(b2b.pid);
  const t0 = performance.now();
  const uacRun = await run(SIPP, [`127.0.0.1:${port}`, '-sn', 'uac', '-p', String(await freePort()), '-r', String(rate), '-l', String(rate * 4), ...common, '-stf', join(work, 'uac.csv')], (SECONDS * 3 + 15) * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(b2b.pid) - cpu0;
  await uas;
  b2b.kill('SIGTERM');
  let a = { ok: 0, failed: 0 };
  try {
    a = counts(join(work, 'uac.csv'));
  } catch {
    process.stderr.write(`no sipp stats at ${rate}/s (exit ${uacRun.code}): ${uacRun.out.slice(-600)}\n`);
  }
  rmSync(work, { recursive: true, force: true });
  // elapsed includes sipp's -sn uac call length (the built-in pause before BYE) and its exit.
  return { rate, calls, keptUp: elapsed <= SECONDS * 1.1, ok: a.ok, failed: a.failed, seconds: Number(elapsed.toFixed(2)), callsPerSecond: Number((a.ok / elapsed).toFixed(1)), cpuMsPerCall: Number((cpu / Math.max(1, a.ok)).toFixed(3)), cpuShare: Number((cpu / 1000 / elapsed).toFixed(2)) };
}

const loadBefore = os.loadavg()[0];
const results = [];
for (const rate of RATES) {
  const r = await once(rate);
  results.push(r);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  if (r.failed > 0 || r.ok < r.calls || r.seconds > SECONDS * 1.1) break; // failed calls, or did not keep up
}
const git = gitProvenance({ outputs: ['bench/b2bua/results.json', 'bench/b2bua/RESULTS.md'] });
const load = { before: Number(loadBefore.toFixed(1)), after: Number(os.loadavg()[0].toFixed(1)) };
const doc = { git, node: process.version, cpus: os.cpus().length, loadAverage1m: load, settings: { seconds: SECONDS, rates: RATES }, results };
writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
const rows = results.map((r) => `| ${r.rate} | ${r.calls} | ${r.ok} | ${r.failed} | ${r.keptUp ? 'yes' : 'no'} | ${r.callsPerSecond} | ${r.cpuMsPerCall} | ${r.cpuShare} |`);
writeFileSync(
  new URL('RESULTS.md', import.meta.url),
  [
    '# B2BUA calls per second (apps/b2bua on @sipts/dialog, two legs, UDP, 127.0.0.1)',
    '',
    `Code: ${describeGit(git)}; Node ${process.version}, ${os.cpus().length} CPUs shared with other work (1-minute load average ${load.before} before the run, ${load.after} after). sipp -sn uac → B2BUA → sipp -sn uas.`,
    'calls/s is completed calls over the whole run (sipp ends each call after its built-in pause); CPU is the B2BUA process only.',
    '',
    '| target rate | calls | ok | failed | kept up | calls/s | CPU ms/call | CPU share |',
    '|---:|---:|---:|---:|:-:|---:|---:|---:|',
    ...rows,
    '',
    'The B2BUA binds UDP with a 4 MiB receive buffer: with the default (~200 KiB) a run at 400 calls/s',
    'completed no call within its bound (messages lost in bursts, every leg waiting on retransmissions).',
    '',
  ].join('\n'),
);
