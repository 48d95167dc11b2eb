/**
 * Young-collection cost of a proxied OPTIONS, the facade's classic-API proxy on @sipts/sip and on the
 * classic `sip` package side by side: the proxy runs in a child process with `--trace-gc-nvp`, a UAC
 * and a UAS on plain `node:dgram` sockets (no sipp, so the probe measures the proxy alone) keep a
 * fixed number of OPTIONS in flight, and the scavenges of the run are summed from V8's trace.
 * What a scavenge costs is what survives it (bench/BUDGET.md, seventh pass): finished transactions that
 * a table or an old, dead object still points to are copied by every one.
 *
 *   node facade/gc-probe.mjs            # 3 rounds × 40,000 proxied OPTIONS, 50 in flight, both packages
 *   BENCH_GC_ROUNDS=1 BENCH_GC_UNITS=20000 node facade/gc-probe.mjs
 *
 * Needs the built dist (`pnpm --filter "@sipts/sip..." build`). Loopback only (127.0.0.1, 127.0.0.2).
 * Bounded: each run stops after its units or 60 s. Prints a Markdown table; writes nothing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeGit, gitProvenance } from '../provenance.mjs';

const ROUNDS = Number(process.env.BENCH_GC_ROUNDS ?? 3);
const UNITS = Number(process.env.BENCH_GC_UNITS ?? 40_000);
const WINDOW = Number(process.env.BENCH_GC_WINDOW ?? 50);
const SELF = fileURLToPath(import.meta.url);

/** The child: the proxy app, a UAS answering 200 and a closed-loop UAC, on loopback. */
async function child(impl) {
  const dgram = await import('node:dgram');
  const { createRequire } = await import('node:module');
  const require = createRequire(SELF);
  const proxy = impl === 'sipts' ? require('@sipts/sip/proxy') : require('sip/proxy');
  const [PORT, UAS, UAC] = [Number(process.env.GC_PORT), Number(process.env.GC_PORT) + 1, Number(process.env.GC_PORT) + 2];
  const uas = dgram.createSocket('udp4');
  uas.on('message', (m, r) => {
    const s = m.toString('latin1');
    const rest = s.slice(s.indexOf('\r\n') + 2).replace(/^To: (.*)$/m, 'To: $1;tag=uas1');
    uas.send(Buffer.from('SIP/2.0 200 OK\r\n' + rest, 'latin1'), r.port, r.address);
  });
  await new Promise((r) => uas.bind(UAS, '127.0.0.2', r));
  proxy.start({ port: PORT, address: '127.0.0.1', hostname: 'gc-probe.invalid', udp: true, tcp: false, logger: {} }, (rq) => {
    rq.uri = `sip:service@127.0.0.2:${String(UAS)}`;
    proxy.send(rq);
  });
  const uac = dgram.createSocket('udp4');
  await new Promise((r) => uac.bind(UAC, '127.0.0.1', r));
  const options = (i) =>
    Buffer.from(
      `OPTIONS sip:service@127.0.0.1:${String(PORT)} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${String(UAC)};branch=z9hG4bK-${String(i)}-1-0\r\n` +
        `From: sipp <sip:sipp@127.0.0.1:${String(UAC)}>;tag=${String(i)}SIPpTag001\r\nTo: sut <sip:service@127.0.0.1:${String(PORT)}>\r\n` +
        `Call-ID: ${String(i)}-gc@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContact: sip:sipp@127.0.0.1:${String(UAC)}\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Length: 0\r\n\r\n`,
    );
  let sent = 0;
  let got = 0;
  const started = Date.now();
  const cpu = process.cpuUsage();
  console.log('MARK');
  await new Promise((done) => {
    const next = () => {
      if (sent < UNITS) uac.send(options(++sent), PORT, '127.0.0.1');
    };
    uac.on('message', () => {
      got++;
      if (got >= UNITS) done();
      else next();
    });
    for (let i = 0; i < WINDOW; i++) next();
    // A lost datagram must not stall the loop: top the window up now and then; stop at 60 s.
    setInterval(() => {
      if (Date.now() - started > 60_000) done();
      next();
    }, 100).unref();
  });
  const used = process.cpuUsage(cpu);
  console.log(`RESULT ${JSON.stringify({ units: got, ms: Date.now() - started, cpuUs: used.user + used.system })}`);
  process.exit(0);
}

/** One run: the child's RESULT and the scavenges after its MARK. */
function run(impl, port) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--trace-gc-nvp', SELF, 'child', impl], { env: { ...process.env, GC_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', () => {
      const after = out.slice(out.indexOf('MARK'));
      const scavenges = [...after.matchAll(/pause=([\d.]+)[^\n]*?gc=s[^\n]*?allocated=(\d+)[^\n]*?promoted=(\d+)[^\n]*?new_space_survived=(\d+)/g)];
      const result = JSON.parse(/RESULT (.*)/.exec(after)?.[1] ?? '{}');
      const sum = (k) => scavenges.reduce((a, m) => a + Number(m[k]), 0);
      resolve({ impl, ...result, scavenges: scavenges.length, pauseMs: sum(1), allocated: sum(2), survived: sum(4) });
    });
  });
}

async function main() {
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of round % 2 === 0 ? ['sipts', 'classic'] : ['classic', 'sipts']) {
      const r = await run(impl, 26060 + 10 * rows.length);
      rows.push(r);
      console.log(`${impl}: ${String(r.units)} proxied OPTIONS in ${String(r.ms)} ms; ${String(r.scavenges)} scavenges, ${r.pauseMs.toFixed(0)} ms; ${(r.survived / r.allocated * 100).toFixed(1)}% of the young allocation survived`);
    }
  }
  const git = gitProvenance({ outputs: [] });
  console.log(`\n${describeGit(git)}; ${String(UNITS)} proxied OPTIONS per run, ${String(WINDOW)} in flight\n`);
  console.log('| package | run | scavenges | scavenge ms | µs of scavenge per proxied OPTIONS | young bytes surviving a scavenge | bytes surviving per proxied OPTIONS | CPU µs per proxied OPTIONS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.impl === 'sipts' ? '@sipts/sip' : 'classic'} | ${String(i + 1)} | ${String(r.scavenges)} | ${r.pauseMs.toFixed(0)} | ${((1000 * r.pauseMs) / r.units).toFixed(1)} | ${((100 * r.survived) / r.allocated).toFixed(1)}% | ${Math.round(r.survived / r.units)} | ${(r.cpuUs / r.units).toFixed(1)} |`);
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]);
else await main();
