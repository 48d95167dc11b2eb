/**
 * The load generator (a child process of main.mjs): OPTIONS requests over UDP, TCP or TLS with a
 * fixed window of outstanding requests, each with a unique branch and Call-ID. A reply is matched
 * by its branch: a 200 from the transport layer or the request itself from an echo server, so both
 * servers cost the generator the same work. A request unanswered after `timeoutMs` is counted
 * lost and replaced. Bounded: `warmupMs` + at most `runMs` or `maxRequests` answers.
 *
 * argv[2]: JSON {protocol, host, port, window, connections, warmupMs, runMs, maxRequests, timeoutMs, ca?}
 * Reports {ok, ...} over IPC (or stdout without IPC) and exits.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createStreamFramer } from '@sipts/message';

const opts = JSON.parse(process.argv[2] ?? '{}');
const { protocol, host, port, window: WINDOW, warmupMs, runMs, maxRequests, timeoutMs } = opts;
const connections = protocol === 'UDP' ? 1 : opts.connections;
const PREFIX = randomBytes(4).toString('hex');
const KEY = Buffer.from(`branch=z9hG4bK${PREFIX}`, 'latin1');
const ID_DIGITS = 12;
const PLACEHOLDER = 'X'.repeat(ID_DIGITS);

/** Latency histogram: 10 µs buckets up to 100 ms, the last bucket for anything slower. */
const BUCKET_US = 10;
const hist = new Uint32Array(10_001);

let nextId = 0;
let running = true;
let measuring = false;
let tStart = 0;
let tEnd = 0;
let completed = 0;
let ok200 = 0;
let echoed = 0;
let otherStatus = 0;
let stray = 0;
let lost = 0;
/** id → {t, link} in send order (Map keeps insertion order: the oldest come first). */
const outstanding = new Map();

function template(transport, localPort) {
  return Buffer.from(
    `OPTIONS sip:bench@${host}:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/${transport} ${host}:${localPort};rport;branch=z9hG4bK${PREFIX}${PLACEHOLDER}\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:load@${host}>;tag=${PREFIX}\r\n` +
      `To: <sip:bench@${host}>\r\n` +
      `Call-ID: ${PREFIX}${PLACEHOLDER}@load\r\n` +
      'CSeq: 1 OPTIONS\r\n' +
      'User-Agent: sipts-bench\r\n' +
      'Content-Length: 0\r\n\r\n',
    'latin1',
  );
}

/** A link: one UDP socket or one TCP/TLS connection, with its request template. */
function makeLink(tpl, write) {
  const offsets = [];
  for (let i = tpl.indexOf(PLACEHOLDER); i !== -1; i = tpl.indexOf(PLACEHOLDER, i + 1)) offsets.push(i);
  const link = {
    send() {
      const id = nextId++;
      const buf = Buffer.allocUnsafe(tpl.length);
      tpl.copy(buf);
      const hex = id.toString(16).padStart(ID_DIGITS, '0');
      for (const o of offsets) buf.write(hex, o, 'latin1');
      outstanding.set(id, { t: performance.now(), link });
      write(buf);
    },
  };
  return link;
}

function finish() {
  if (!measuring) return;
  measuring = false;
  running = false;
  tEnd = performance.now();
}

/** One reply (a whole datagram or a framed message). */
function onReply(msg) {
  const i = msg.indexOf(KEY);
  if (i === -1) {
    stray++;
    return;
  }
  const from = i + KEY.length;
  const id = parseInt(msg.toString('latin1', from, from + ID_DIGITS), 16);
  const entry = outstanding.get(id);
  if (entry === undefined) {
    stray++; // late (already counted lost) or duplicated
    return;
  }
  outstanding.delete(id);
  if (measuring) {
    completed++;
    const us = (performance.now() - entry.t) * 1000;
    hist[Math.min(hist.length - 1, Math.floor(us / BUCKET_US))]++;
    // 'S' = SIP/2.0 200 from the layer, 'O' = our OPTIONS echoed back.
    if (msg[0] === 0x53) {
      if (msg[8] === 0x32 && msg[9] === 0x30 && msg[10] === 0x30) ok200++;
      else otherStatus++;
    } else if (msg[0] === 0x4f) echoed++;
    if (completed >= maxRequests) finish();
  }
  if (running) entry.link.send();
}

function percentile(p) {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= total * p) return (b + 1) * BUCKET_US;
  }
  return null;
}

async function openUdp() {
  const sock = createSocket('udp4');
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, host, resolve);
  });
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.connect(port, host, resolve);
  });
  sock.on('error', () => undefined); // ECONNREFUSED after the server exits
  sock.on('message', onReply);
  const link = makeLink(template('UDP', sock.address().port), (buf) => sock.send(buf));
  return { links: [link], close: () => sock.close() };
}

async function openStream(secure) {
  const sockets = [];
  const links = [];
  const ca = opts.ca !== undefined ? readFileSync(opts.ca) : undefined;
  for (let c = 0; c < connections; c++) {
    const socket = await new Promise((resolve, reject) => {
      const s = secure
        ? tlsConnect({ host, port, ca, servername: 'localhost' }, () => resolve(s))
        : tcpConnect({ host, port, noDelay: true }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const link = makeLink(template(secure ? 'TLS' : 'TCP', socket.localPort), (buf) => socket.write(buf));
    const framer = createStreamFramer();
    socket.on('data', (chunk) => {
      socket.cork();
      for (const f of framer.push(chunk)) onReply(Buffer.from(f.buffer, f.byteOffset, f.length));
      socket.uncork();
    });
    sockets.push(socket);
    links.push(link);
  }
  return { links, close: () => sockets.forEach((s) => s.destroy()) };
}

function report(result) {
  if (process.send) process.send(result, () => process.exit(0));
  else {
    console.log(JSON.stringify(result));
    process.exit(0);
  }
}

async function main() {
  const conn = protocol === 'UDP' ? await openUdp() : await openStream(protocol === 'TLS');
  const perLink = Math.ceil(WINDOW / conn.links.length);
  for (const link of conn.links) for (let k = 0; k < perLink; k++) link.send();

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [id, e] of outstanding) {
      if (now - e.t < timeoutMs) break;
      outstanding.delete(id);
      if (measuring) lost++;
      if (running) e.link.send();
    }
  }, 50);

  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  tStart = performance.now();
  await new Promise((resolve) => {
    const deadline = setTimeout(resolve, runMs);
    const poll = setInterval(() => {
      if (!measuring) {
        clearTimeout(deadline);
        clearInterval(poll);
        resolve();
      }
    }, 5);
    deadline.unref();
  });
  finish();
  clearInterval(sweep);
  await new Promise((r) => setTimeout(r, 200)); // replies in flight are not counted
  conn.close();
  const seconds = (tEnd - tStart) / 1000;
  report({
    type: 'result',
    ok: completed > 0 && otherStatus === 0,
    protocol,
    msgPerSec: completed / seconds,
    completed,
    seconds,
    ok200,
    echoed,
    otherStatus,
    stray,
    lost,
    sent: nextId,
    window: WINDOW,
    connections,
    latencyUs: { p50: percentile(0.5), p99: percentile(0.99) },
  });
}

main().catch((e) => report({ type: 'result', ok: false, error: String(e?.stack ?? e) }));
