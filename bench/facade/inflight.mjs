/**
 * What a proxied INVITE holds while it is in flight: the facade bench's proxy app (proxy.mjs's
 * route callback: a Record-Route of its own, the Request-URI pointed at the UAS, `proxy.send`) on
 * @sipts/sip and on the classic package, in-process, with a UAS that never answers. After a
 * warm-up batch the heap is measured (two full GCs), N INVITEs are sent and forwarded, the heap is
 * measured again, and the growth is divided by the INVITEs the UAS received (any the proxy's
 * socket dropped are not counted). Near saturation a
 * proxy's scavenges copy exactly this state for every call in progress (bench/BUDGET.md, ninth
 * pass), so it is the figure to cut.
 *
 *   node --expose-gc facade/inflight.mjs            # both packages, 1,000 INVITEs each
 *   BENCH_INFLIGHT_N=2000 BENCH_INFLIGHT_IMPLS=sipts node --expose-gc facade/inflight.mjs
 *
 * Each package runs in a child process of its own. Loopback only; bounded (N INVITEs, sent in
 * batches of 50, each waited for at most 400 ms). Prints a Markdown table; writes nothing.
 */
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { describeGit, gitProvenance } from '../provenance.mjs';
import { loadClassicApi } from './app-ipc.mjs';

const N = Number(process.env.BENCH_INFLIGHT_N ?? 1000);
const IMPLS = (process.env.BENCH_INFLIGHT_IMPLS ?? 'sipts,classic').split(',');
const BATCH = 50;
const SELF = fileURLToPath(import.meta.url);

function invite(i, port, uacPort) {
  const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  return Buffer.from(
    `INVITE sip:service@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${uacPort};branch=z9hG4bK-${i}-inflight\r\n` +
      `From: sipp <sip:sipp@127.0.0.1:${uacPort}>;tag=${i}SIPpTag00\r\nTo: sut <sip:service@127.0.0.1:${port}>\r\n` +
      `Call-ID: ${i}-inflight@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:${uacPort}\r\nMax-Forwards: 70\r\n` +
      `Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
    'latin1',
  );
}

function bind(address) {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, address, () => resolve(s)));
}

async function child(impl) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const port = await freePort();
  const uas = await bind('127.0.0.2');
  const uac = await bind('127.0.0.1');
  const uasPort = uas.address().port;
  // Distinct INVITEs received, by number (a retransmission by Timer A does not count twice); the
  // bitmap is made before the first measurement.
  const seen = new Uint8Array(N + 2000);
  let received = 0;
  uas.on('message', (m) => {
    const s = m.toString('latin1');
    const at = s.indexOf('Call-ID: ');
    if (!s.startsWith('INVITE ') || at === -1) return;
    const i = Number(s.slice(at + 9, s.indexOf('-', at + 9)));
    const slot = i < 1_000_000 ? i : 1000 + i - 1_000_000;
    if (seen[slot] === 0) {
      seen[slot] = 1;
      received++;
    }
  });
  const proxy = loadClassicApi(impl, '/proxy');
  const recordRoute = { uri: `sip:127.0.0.1:${String(port)};lr` };
  proxy.start({ port, address: '127.0.0.1', hostname: 'inflight.invalid', udp: true, tcp: false, logger: {} }, (rq) => {
    if (rq.method === 'INVITE') rq.headers['record-route'] = [recordRoute, ...(rq.headers['record-route'] ?? [])];
    rq.uri = `sip:service@127.0.0.2:${String(uasPort)}`;
    proxy.send(rq);
  });
  /** Sends INVITEs from..from+n-1 in batches, each once the previous one arrived (at most 400 ms per batch). */
  const send = async (from, n) => {
    const base = received;
    for (let sent = 0; sent < n; ) {
      const k = Math.min(BATCH, n - sent);
      for (let j = 0; j < k; j++) uac.send(invite(from + sent + j, port, uac.address().port), port, '127.0.0.1');
      sent += k;
      const until = Date.now() + 400;
      while (received - base < sent && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    }
  };
  await send(1, 300);
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const at = received;
  await send(1_000_000, N);
  const forwarded = received - at;
  globalThis.gc();
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({ impl, sent: N, forwarded, bytesPerInvite: forwarded > 0 ? (after - before) / forwarded : NaN })}\n`);
  process.exit(0);
}

function main() {
  const rows = [];
  for (const impl of IMPLS) {
    const r = spawnSync(process.execPath, ['--expose-gc', SELF, 'child', impl], { encoding: 'utf8', timeout: 120_000 });
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    try {
      rows.push(JSON.parse(line));
    } catch {
      rows.push({ impl, error: `${String(r.status)} ${(r.stderr ?? '').slice(-300)}` });
    }
  }
  console.log(`\n${describeGit(gitProvenance({ outputs: [] }))}; ${String(N)} INVITEs held in flight by a silent UAS\n`);
  console.log('| package | INVITEs forwarded | heap per INVITE in flight |');
  console.log('|---|---:|---:|');
  for (const r of rows) {
    const name = r.impl === 'sipts' ? '@sipts/sip' : 'classic';
    console.log(r.error !== undefined ? `| ${name} | – | failed: ${r.error} |` : `| ${name} | ${String(r.forwarded)} | ${Math.round(r.bytesPerInvite).toLocaleString('en-US')} B |`);
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]);
else main();
