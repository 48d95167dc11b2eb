/**
 * The request limits of issue 16 (findings 7 and 8), each written to fail on the code before
 * them: requests per second per source for every method (an INVITE flood, answered by dropping
 * over UDP), bindings per AOR, Contacts naming the server refused at REGISTER, spirals through
 * several bindings that point back at the server (482 once a request has come back
 * `spiralsPerRequest` times), forks per request, and a REGISTER 200 too big for UDP. The server's
 * clock is frozen (`clock.now` only moves when a test moves it), so the token buckets refill
 * only when told: the counts are exact, no timing is asserted.
 */
import { makeResponse, stringifyUri, type SipRequest } from '@sipts/message';
import { createStack } from '@sipts/transaction/node';
import { generateTag } from '@sipts/transport';
import { until } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { TestUa, type TestServer } from './helpers.js';
import { request as rawRequest, token, udpPeer } from './interop/raw.js';
import { sample } from './interop/server-harness.js';
import { useTestServer } from './use-test-server.js';
import type { Binding } from '../src/store/index.js';

const fx = useTestServer({ limits: { shutdownGraceSeconds: 0 } });

async function metrics(): Promise<string> {
  return (await fx.srv.server.metrics?.registry.metrics()) ?? '';
}

/** Timer values for {@link quickUa}: Timer F = 64 × T1. */
interface UaTimers {
  T1: number;
  T2: number;
  T4: number;
}

/** Retransmits and times out fast (Timer F = 64 × 20 ms): for a UA that only receives. */
const QUICK: UaTimers = { T1: 20, T2: 160, T4: 200 };

/**
 * A UA whose stack takes every fork of one request (no merged-request 482, RFC 3261 §8.2.2.2: it
 * stands for many phones), on `timers` (default {@link QUICK}).
 */
async function quickUa(srv: TestServer, user: string, password: string, timers: UaTimers = QUICK): Promise<TestUa> {
  const stack = createStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: false, mergedRequests: false, timers, resolver: () => Promise.resolve([srv.target('UDP')]) });
  await stack.start();
  return new TestUa(stack, user, 'UDP', srv, password);
}

function binding(aor: string, contact: string, now: number, q = 1): Binding {
  return { aor, key: contact, contact, q, expiresAt: now + 3_600_000, callId: 'seed', cseq: 1, path: [], owner: 'seed', source: 'UDP:127.0.0.1:1' };
}

function invite(serverPort: number, localPort: number, n: number): string {
  return rawRequest([
    `INVITE sip:bob@localhost SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.3:${String(localPort)};branch=z9hG4bK${token()}`,
    'Max-Forwards: 70',
    `From: <sip:flood@example.org>;tag=${token()}`,
    'To: <sip:bob@localhost>',
    `Call-ID: flood-${String(n)}-${token()}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:flood@127.0.0.3:${String(localPort)}>`,
  ]);
}

describe('finding 7: requests per second per source, for every method', () => {
  it('admits the burst of an INVITE flood from one address and drops the rest over UDP (fails before issue 16: all 200 reached bob)', async () => {
    await fx.restart({ limits: { requestsPerSecondPerSource: 20, shutdownGraceSeconds: 0 } });
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    bob.answer = (rq, st) => {
      void st.respond(makeResponse(rq, 486, undefined, { toTag: generateTag() }));
    };
    const flooder = await udpPeer('127.0.0.3');
    try {
      const port = fx.srv.target('UDP').port;
      // Sent in windows of 10, each once the server has counted the previous one: never more in
      // flight than the kernel's socket buffer holds, so no datagram is lost on a loaded machine
      // and the counts are exact. The frozen clock keeps the bucket empty however long that takes.
      const WINDOW = 10;
      const seen = async (): Promise<number> => sample(await metrics(), 'sipts_requests_total', { method: 'INVITE' });
      for (let sent = 0; sent < 200; sent += WINDOW) {
        for (let i = sent; i < sent + WINDOW; i++) await flooder.send(invite(port, flooder.port, i), port);
        await until(async () => (await seen()) >= sent + WINDOW, 30_000, `the server to receive ${String(sent + WINDOW)} INVITEs`);
      }
      // Every one reached the server: 20 admitted, 180 refused (a bound, not a window).
      await until(async () => sample(await metrics(), 'sipts_limited_total', { limit: 'requests-per-source' }) >= 180, 30_000, '180 refusals');
      const m = await metrics();
      expect(sample(m, 'sipts_requests_total', { method: 'INVITE' })).toBe(200);
      expect(sample(m, 'sipts_limited_total', { limit: 'requests-per-source' })).toBe(180);
      await bob.waitFor(20);
      expect(new Set(bob.received.filter((r) => r.request.method === 'INVITE').map((r) => r.request.headers['call-id'])).size).toBe(20);
      // Over UDP the refused ones got no answer at all (no 503 to retransmit).
      expect(flooder.received.filter((t) => t.startsWith('SIP/2.0 503'))).toHaveLength(0);
      // A second later the bucket has refilled: bob's own requests go through again.
      fx.srv.clock.now += 1000;
      expect((await bob.send(bob.request('OPTIONS', 'sip:localhost', 'sip:localhost'))).status).toBe(200);
    } finally {
      await flooder.close();
    }
  });

  it('answers 503 with Retry-After over TCP once the bucket is empty', async () => {
    await fx.restart({ limits: { requestsPerSecondPerSource: 3, registerPerSecondPerSource: 100, shutdownGraceSeconds: 0 } });
    const alice = await fx.ua('alice', 'TCP');
    const statuses: number[] = [];
    let last: SipRequest['headers'] | undefined;
    for (let i = 0; i < 5; i++) {
      const rs = await alice.sendRaw(alice.request('OPTIONS', 'sip:localhost', 'sip:localhost'));
      statuses.push(rs.status);
      if (rs.status === 503) last = rs.headers;
    }
    expect(statuses).toEqual([200, 200, 200, 503, 503]);
    expect(last?.['retry-after']).toBe('1');
  });
});

describe('finding 8: bindings per AOR, Contacts naming the server, spirals, forks, a 200 too big for UDP', () => {
  it('refuses the 11th binding of an AOR with 403 and keeps 10 (fails before issue 16: no cap)', async () => {
    const alice = await fx.ua('alice', 'UDP');
    const contacts = (from: number, to: number): { uri: string; params: Record<string, string> }[] =>
      Array.from({ length: to - from }, (_, i) => ({ uri: `sip:alice-${String(from + i)}@127.0.0.1:${String(40000 + from + i)}`, params: {} }));
    expect((await alice.register({ contact: contacts(0, 10) })).status).toBe(200);
    const more = await alice.register({ contact: contacts(10, 11) });
    expect(more.status).toBe(403);
    expect(await fx.srv.store.lookup('sip:alice@localhost', fx.srv.clock.now)).toHaveLength(10);
    // Refreshing or removing one of the ten is still allowed.
    expect((await alice.register({ contact: contacts(0, 1) })).status).toBe(200);
    expect(sample(await metrics(), 'sipts_limited_total', { limit: 'bindings-per-aor' })).toBe(1);
  });

  it('refuses Contacts that name the server itself, however written (fails before issue 16: registered)', async () => {
    const alice = await fx.ua('alice', 'UDP');
    const port = String(fx.srv.target('UDP').port);
    for (const uri of [`sip:alice@127.0.0.1:${port}`, `sip:x@127.1:${port}`, `sip:x@[::ffff:127.0.0.1]:${port}`, `sip:x@localhost.:${port}`]) {
      expect((await alice.register({ contact: [{ uri, params: {} }] })).status, uri).toBe(403);
    }
    expect(await fx.srv.store.lookup('sip:alice@localhost', fx.srv.clock.now)).toHaveLength(0);
    expect(sample(await metrics(), 'sipts_limited_total', { limit: 'self-contact' })).toBe(4);
  });

  it('stops a spiral through five bindings pointing back at the server after one pass (fails before issue 16: ~326 requests)', async () => {
    // Over TCP: no hop retransmits (RFC 3261 §17.1.2.2, Timer E is for unreliable transports), so
    // the count is the number of requests however slowly a loaded machine carries them.
    const port = String(fx.srv.target('TCP').port);
    const now = fx.srv.clock.now;
    // Bindings written before the registrar refused such Contacts (or behind a name that resolves to us).
    await fx.srv.store.update('sip:alice@localhost', { put: [1, 2, 3, 4, 5].map((k) => binding('sip:alice@localhost', `sip:alice@127.0.0.1:${port};transport=tcp;k=${String(k)}`, now)), remove: [] }, now);
    const bob = await fx.ua('mallory', 'TCP');
    const rq = bob.request('MESSAGE', 'sip:alice@localhost', 'sip:alice@localhost', { 'content-type': 'text/plain' }, 'loop');
    rq.headers.from = { uri: 'sip:mallory@example.org', params: { tag: generateTag() } };
    const rs = await bob.sendRaw(rq);
    expect(rs.status).toBe(482);
    // 1 from mallory, 5 first spirals, 25 second spirals answered 482: 31 MESSAGEs in all.
    expect(sample(await metrics(), 'sipts_requests_total', { method: 'MESSAGE' })).toBe(31);
  });

  it('forks to at most forksPerRequest bindings, highest q first (fails before issue 16: all 15)', async () => {
    const bob = await quickUa(fx.srv, 'bob', 'bob-secret');
    const port = String(bob.stack.transport.listening[0]?.port);
    const now = fx.srv.clock.now;
    const put = Array.from({ length: 15 }, (_, k) => binding('sip:bob@localhost', `sip:bob-${String(k)}@127.0.0.1:${port}`, now, k < 10 ? 0.9 : 0.1));
    await fx.srv.store.update('sip:bob@localhost', { put, remove: [] }, now);
    const mallory = await fx.ua('mallory', 'UDP');
    const rq = mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'fork');
    rq.headers.from = { uri: 'sip:mallory@example.org', params: { tag: generateTag() } };
    expect((await mallory.sendRaw(rq)).status).toBe(200);
    await bob.waitFor(10);
    const uris = bob.received.map((r) => (typeof r.request.uri === 'string' ? r.request.uri : stringifyUri(r.request.uri)));
    expect(uris).toHaveLength(10);
    expect(uris.every((u) => /bob-\d@/.test(u))).toBe(true); // bob-0 … bob-9, the q=0.9 ones
    expect(sample(await metrics(), 'sipts_limited_total', { limit: 'forks-per-request' })).toBe(1);
    await bob.close();
  });

  it('answers a REGISTER whose full 200 would not fit in a UDP datagram with its own contacts (fails before issue 16: no answer)', async () => {
    await fx.restart({ limits: { bindingsPerAor: 5000, shutdownGraceSeconds: 0 } });
    const now = fx.srv.clock.now;
    const put = Array.from({ length: 1200 }, (_, k) => binding('sip:alice@localhost', `sip:alice-${String(k).padStart(5, '0')}-${'x'.repeat(20)}@127.0.0.1:${String(20000 + k)}`, now));
    await fx.srv.store.update('sip:alice@localhost', { put, remove: [] }, now);
    // Timer F (64 × 200 ms) only bounds the wait for an answer that never came before issue 16;
    // 1.3 s (the quick timers) was short enough for a loaded machine to time out a REGISTER the
    // server was still working on (1,200 bindings).
    const alice = await quickUa(fx.srv, 'alice', 'alice-secret', { T1: 200, T2: 1600, T4: 2000 });
    try {
      const rs = await alice.register();
      expect(rs.status).toBe(200);
      expect(rs.headers.contact?.map((c) => c.uri)).toEqual([alice.contactUri]);
      expect(await fx.srv.store.lookup('sip:alice@localhost', fx.srv.clock.now)).toHaveLength(1201);
      expect(sample(await metrics(), 'sipts_limited_total', { limit: 'register-200-too-big' })).toBe(1);
    } finally {
      await alice.close();
    }
  });
});
