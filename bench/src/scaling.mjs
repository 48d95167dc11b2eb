/**
 * Cost per byte as messages grow: one child process, run by main.mjs.
 * - framing: a message with a large header section fed to a stream parser in 64-byte chunks
 *   (ours: createStreamFramer + parseMessage; classic: sip.makeStreamParser, which re-runs its
 *   regex over the whole buffer on every chunk);
 * - parse: parseMessage of one datagram with ever more headers.
 * A flat ns/byte column means linear time. Bounded: every size runs at most ~300 ms.
 */
import { createRequire } from 'node:module';
import { createStreamFramer, parseMessage } from '@sipts/message';

const require = createRequire(import.meta.url);
const sip = require('sip');
const enc = new TextEncoder();

function message(headerBytes) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < headerBytes; i++) {
    const line = `X-Filler-${i}: ${'v'.repeat(40)}\r\n`;
    lines.push(line);
    size += line.length;
  }
  const body = 'v=0\r\n';
  return `OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:bob@example.com>\r\n${lines.join('')}Content-Length: ${body.length}\r\n\r\n${body}`;
}

function time(f, budgetMs = 300, maxReps = 2000) {
  f(); // warm
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps && performance.now() - t0 < budgetMs) {
    f();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

function chunks(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const result = { ok: true, framing: [], parse: [] };
for (const headerBytes of [2_000, 8_000, 32_000, 48_000]) {
  const text = message(headerBytes);
  const bytes = enc.encode(text);
  const parts = chunks(bytes, 64);
  const stringParts = parts.map((p) => String.fromCharCode(...p));
  let got = 0;
  const ours = time(() => {
    const framer = createStreamFramer();
    for (const p of parts) for (const frame of framer.push(p)) got += parseMessage(frame, { framing: 'stream', maxHeaderCount: 10_000 }).headers['call-id'] === 'c' ? 1 : 0;
  });
  const classic = time(() => {
    const feed = sip.makeStreamParser((m) => {
      got += m.headers['call-id'] === 'c' ? 1 : 0;
    });
    for (const p of stringParts) feed(p);
  });
  if (got === 0) result.ok = false;
  result.framing.push({ bytes: bytes.length, chunks: parts.length, oursMs: ours, classicMs: classic, oursNsPerByte: (ours * 1e6) / bytes.length, classicNsPerByte: (classic * 1e6) / bytes.length });
}
for (const headerBytes of [1_000, 16_000, 256_000]) {
  const bytes = enc.encode(message(headerBytes));
  const opts = { maxHeaderBytes: 1 << 20, maxHeaderCount: 100_000 };
  const ms = time(() => parseMessage(bytes, opts));
  result.parse.push({ bytes: bytes.length, ms, nsPerByte: (ms * 1e6) / bytes.length });
}
process.stdout.write(JSON.stringify(result) + '\n');
