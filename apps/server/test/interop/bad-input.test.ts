/**
 * Hostile input against an in-process sipts-server, raw over UDP (node:dgram) and TCP (node:net):
 * malformed requests that still carry a Via get 400 (RFC 3261 §18.2.1, §21.4.1), garbage without
 * one is dropped, both are counted in /metrics, and the server keeps serving (OPTIONS, REGISTER);
 * a burst of REGISTERs from one address is limited by `limits.registerPerSecondPerSource`
 * (503 with Retry-After, RFC 3261 §21.5.4) while other addresses are still served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildren } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerOf, options, register, request, statusOf, tcpExchange, token, udpPeer } from './raw.js';
import { metricsText, sample, startServer, type TestServer } from './server-harness.js';

const LIMIT = 20;
let work = '';
let server: TestServer | undefined;
/** The server's clock: real time, except while the flood test holds it (token buckets refill only when it moves). */
let frozen: number | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sipts-server-bad-'));
  server = await startServer(work, { overrides: { limits: { registerPerSecondPerSource: LIMIT }, log: { level: 'info' } }, now: () => frozen ?? Date.now() });
});

afterAll(async () => {
  killChildren();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function srv(): TestServer {
  if (server === undefined) throw new Error('no server');
  return server;
}

/** The headers of a well-formed OPTIONS, to break one at a time. */
function lines(proto: 'UDP' | 'TCP', port: number): string[] {
  return [
    `OPTIONS sip:127.0.0.1:${String(srv().udp)} SIP/2.0`,
    `Via: SIP/2.0/${proto} 127.0.0.1:${String(port)};branch=z9hG4bK${token()};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@example.org>;tag=${token()}`,
    `To: <sip:127.0.0.1:${String(srv().udp)}>`,
    `Call-ID: ${token()}`,
    'CSeq: 1 OPTIONS',
  ];
}

/** Malformed requests that carry a Via (so a 400 can be sent), by what is wrong. */
const MALFORMED: [string, (proto: 'UDP' | 'TCP', port: number) => string][] = [
  ['no Call-ID', (p, port) => request(lines(p, port).filter((l) => !l.startsWith('Call-ID')))],
  ['no From', (p, port) => request(lines(p, port).filter((l) => !l.startsWith('From')))],
  ['a CSeq method that is not the request method', (p, port) => request(lines(p, port).map((l) => (l.startsWith('CSeq') ? 'CSeq: 1 INVITE' : l)))],
  ['a CSeq that is not a number', (p, port) => request(lines(p, port).map((l) => (l.startsWith('CSeq') ? 'CSeq: one OPTIONS' : l)))],
  ['a Request-URI that is not a URI', (p, port) => request(lines(p, port).map((l, i) => (i === 0 ? 'OPTIONS not<a>uri SIP/2.0' : l)))],
  ['a header line without a colon', (p, port) => request([...lines(p, port), 'This line has no colon'])],
  ['a REGISTER whose Contact is not a URI', (p, port) => request(register(p, 'alice', port).split('\r\n').filter((l) => l !== '' && !l.startsWith('Content-Length')).map((l) => (l.startsWith('Contact') ? 'Contact: <<<>>>' : l)))],
];

describe.each(['UDP', 'TCP'] as const)('malformed requests over %s', (proto) => {
  async function exchange(text: string): Promise<string[]> {
    if (proto === 'UDP') {
      const peer = await udpPeer();
      try {
        await peer.send(text, srv().udp);
        return await peer.collect(1, 1500);
      } finally {
        await peer.close();
      }
    }
    const r = await tcpExchange(srv().tcp, text, 1500, (got) => got.includes('\r\n\r\n'));
    return r.received === '' ? [] : [r.received];
  }

  it.each(MALFORMED)('%s: 400', async (_what, build) => {
    const got = await exchange(build(proto, 5999));
    expect(got.map(statusOf), got.join('\n---\n')).toEqual([400]);
  });

  it('garbage without a Via: no answer, counted in sipts_parse_errors_total', async () => {
    const before = sample(await metricsText(srv().http), 'sipts_parse_errors_total');
    const got = await exchange('\u0000\u0001 not SIP at all \u00ff\r\n\r\n');
    expect(got).toEqual([]);
    const after = sample(await metricsText(srv().http), 'sipts_parse_errors_total');
    expect(after).toBeGreaterThan(before);
  });

  it('still serves afterwards: OPTIONS gets 200, REGISTER gets a 401 challenge', async () => {
    const o = await exchange(options(proto, srv().udp, 5999));
    expect(o.map(statusOf), o.join('\n')).toEqual([200]);
    const r = await exchange(register(proto, 'bob', 5999));
    expect(r.map(statusOf), r.join('\n')).toEqual([401]);
    expect(headerOf(r[0] ?? '', 'WWW-Authenticate')).toMatch(/^Digest /);
  });
});

describe('400s are counted', () => {
  it('sipts_parse_errors_total and sipts_responses_total{code="400"} count the malformed requests above', async () => {
    const m = await metricsText(srv().http);
    expect(sample(m, 'sipts_responses_total', { code: '400' })).toBeGreaterThanOrEqual(2 * MALFORMED.length);
    expect(sample(m, 'sipts_parse_errors_total')).toBeGreaterThanOrEqual(2 * (MALFORMED.length - 1));
  });
});

describe('a REGISTER flood from one address', () => {
  it(`200 REGISTERs in a burst from 127.0.0.3: exactly ${String(LIMIT)} challenged, the rest 503 with Retry-After; other addresses still served`, async () => {
    const m0 = await metricsText(srv().http);
    const before = { limited: sample(m0, 'sipts_register_rejected_total', { reason: 'rate-limit' }), received: sample(m0, 'sipts_requests_total', { method: 'REGISTER' }) };
    const flood = await udpPeer('127.0.0.3');
    const other = await udpPeer('127.0.0.4');
    // The server's clock stands still during the burst, so the bucket (LIMIT per second, burst
    // LIMIT) does not refill however long a loaded machine takes to deliver it: exact counts.
    frozen = Date.now();
    try {
      const BURST = 200;
      // Sent in windows of 10, each window sent once the previous one is answered: far above the
      // limit on the frozen clock, and never more in flight than the kernel's socket buffers hold,
      // so no datagram is lost and every count below is exact. How long the machine takes does
      // not matter: the bucket only refills when the test moves the clock.
      const WINDOW = 10;
      for (let sent = 0; sent < BURST; sent += WINDOW) {
        for (let i = 0; i < WINDOW; i++) await flood.send(register('UDP', 'alice', flood.port, '127.0.0.3'), srv().udp);
        const answered = await flood.collect(sent + WINDOW, 30_000);
        expect(answered.length, `answers after ${String(sent + WINDOW)} sent`).toBe(sent + WINDOW);
      }
      const m1 = await metricsText(srv().http);
      const received = sample(m1, 'sipts_requests_total', { method: 'REGISTER' }) - before.received;
      const got = [...flood.received];
      const codes = got.map(statusOf);
      const limited = got.filter((r) => statusOf(r) === 503);
      const challenged = codes.filter((c) => c === 401).length;
      // Every REGISTER reached the server and was answered once, 401 or 503.
      expect(received).toBe(BURST);
      expect(codes).toHaveLength(BURST);
      expect(challenged + limited.length, JSON.stringify(codes)).toBe(BURST);
      // A token bucket of LIMIT per second with a burst of LIMIT, on a clock standing still.
      expect(challenged).toBe(LIMIT);
      expect(limited).toHaveLength(BURST - LIMIT);
      for (const r of limited) expect(headerOf(r, 'Retry-After'), r).toMatch(/^\d+/);
      const after = sample(await metricsText(srv().http), 'sipts_register_rejected_total', { reason: 'rate-limit' });
      expect(after - before.limited).toBe(limited.length);

      // Another address is not limited; the flooding one is served again after a pause.
      await other.send(register('UDP', 'bob', other.port, '127.0.0.4'), srv().udp);
      const o = await other.collect(1, 2000);
      expect(o.map(statusOf)).toEqual([401]);
      frozen += 1500; // a pause: the bucket has refilled
      flood.received.length = 0;
      await flood.send(register('UDP', 'alice', flood.port, '127.0.0.3'), srv().udp);
      const again = await flood.collect(1, 2000);
      expect(again.map(statusOf)).toEqual([401]);
      const ok = await udpPeer();
      await ok.send(options('UDP', srv().udp, ok.port), srv().udp);
      const answered = await ok.collect(1, 2000);
      await ok.close();
      expect(answered.map(statusOf)).toEqual([200]);
    } finally {
      frozen = undefined;
      await flood.close();
      await other.close();
    }
  });
});
