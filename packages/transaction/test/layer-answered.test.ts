/**
 * Requests the transaction layer answers itself, on a loopback transport and a fake clock:
 * a user's own answer to a CANCEL the layer answered, or to the INVITE it answered 487, is
 * absorbed over UDP and TCP, while the transaction lives and after it ended (RFC 3261 §9.2); and
 * a Request-URI scheme the stack does not handle gets 416 before the user (§8.2.2.1, §16.3).
 */
import { readFileSync } from 'node:fs';
import { makeResponse, parseMessage, type SipRequest } from '@sipts/message';
import type { Remote } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { AnsweredByLayer } from '../src/answered-by-layer.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { createTransactionLayer, type TransactionLayer, type TransactionLayerOptions } from '../src/transaction-layer.js';
import { createLoopback, flush, udpRemote, type Loopback } from './layer-loopback.js';
import { request, type RequestParts } from './layer-messages.js';

interface Setup {
  layer: TransactionLayer;
  clock: FakeClock;
  lb: Loopback;
  requests: { rq: SipRequest; st: ServerTransactionHandle }[];
  cancels: SipRequest[];
}
const live: Setup[] = [];

/** A classic-style UAS: rings, and on CANCEL answers the CANCEL 200 and the INVITE 487 itself. */
function setup(options: Partial<Pick<TransactionLayerOptions, 'uriSchemes' | 'cancel487'>> = {}): Setup {
  const clock = createFakeClock();
  const lb = createLoopback();
  const s: Setup = { layer: undefined as unknown as TransactionLayer, clock, lb, requests: [], cancels: [] };
  s.layer = createTransactionLayer({
    transport: lb.port,
    clock,
    ...options,
    onServerTransaction(rq, st) {
      s.requests.push({ rq, st });
      if (rq.method !== 'INVITE') return;
      void st.respond(makeResponse(rq, 180, undefined, { toTag: 'uas' }));
      st.onCancel = (cancel) => {
        s.cancels.push(cancel);
      };
    },
  });
  live.push(s);
  return s;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    for (const { rq, st } of s.requests) if (!st.finalSent && st.state !== 'terminated' && st.state !== 'completed') void st.respond(makeResponse(rq, 480, undefined, { toTag: 'end' }));
    await flush();
    s.clock.runAll();
    await flush();
    expect(s.layer.size).toBe(0);
    s.layer.stop();
  }
});

const TCP: Remote = { protocol: 'TCP', address: '127.0.0.1', port: 40000, local: { address: '127.0.0.1', port: 5060 } };
const viaFor = (remote: Remote): string => `SIP/2.0/${remote.protocol} ${remote.address}:${String(remote.port)};branch=z9hG4bKcall1`;
const invite = (remote: Remote): SipRequest => request({ method: 'INVITE', via: viaFor(remote) });
const cancel = (remote: Remote, p: RequestParts = {}): SipRequest => request({ method: 'CANCEL', cseq: '1 CANCEL', via: viaFor(remote), ...p });
const sent = (s: Setup): string[] => s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq?.method ?? ''}`);

describe('a response to a request the layer answered is absorbed (RFC 3261 §9.2)', () => {
  it.each([
    ['UDP', udpRemote('127.0.0.2', 5070)],
    ['TCP', TCP],
  ])('over %s: the app’s 200 to the CANCEL and 487 to the INVITE are not sent, and counted', async (_name, remote) => {
    const s = setup();
    s.layer.handlers.onRequest(invite(remote), remote);
    s.layer.handlers.onRequest(cancel(remote), remote);
    await flush();
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    // The classic app answers both, as the classic API required.
    await s.layer.respond(makeResponse(s.cancels[0]!, 200, undefined, { toTag: 'uas' }));
    await s.layer.respond(makeResponse(invite(remote), 487, undefined, { toTag: 'uas' }));
    await flush();
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    expect(s.layer.stats.absorbedResponses).toBe(2);
  });

  it('after the transactions ended (TCP: at once; the INVITE after its ACK), within 64·T1', async () => {
    const s = setup();
    s.layer.handlers.onRequest(invite(TCP), TCP);
    s.layer.handlers.onRequest(cancel(TCP), TCP);
    s.layer.handlers.onRequest(request({ method: 'ACK', cseq: '1 ACK', via: viaFor(TCP), to: '<sip:bob@example.com>;tag=uas' }), TCP);
    await flush();
    s.clock.advance(1); // Timer I and J are 0 over TCP
    expect(s.layer.size).toBe(0);
    await s.layer.respond(makeResponse(s.cancels[0]!, 200, undefined, { toTag: 'uas' }));
    await s.layer.respond(makeResponse(invite(TCP), 487, undefined, { toTag: 'uas' }));
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    expect(s.layer.stats.absorbedResponses).toBe(2);
    // 64·T1 later the keys are forgotten: a late response goes out statelessly as before.
    s.clock.advance(64 * 500);
    await s.layer.respond(makeResponse(s.cancels[0]!, 200, undefined, { toTag: 'uas' }));
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE', '200 CANCEL']);
    expect(s.layer.stats.absorbedResponses).toBe(2);
  });

  it('through the handle too (st.respond after the layer’s 487 resolves, sends nothing)', async () => {
    const s = setup();
    s.layer.handlers.onRequest(invite(TCP), TCP);
    s.layer.handlers.onRequest(cancel(TCP), TCP);
    await flush();
    const { rq, st } = s.requests[0]!;
    expect(st.answeredByLayer).toBe(true);
    await expect(st.respond(makeResponse(rq, 487, undefined, { toTag: 'uas' }))).resolves.toBeUndefined();
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    expect(s.layer.stats.absorbedResponses).toBe(1);
  });

  it('with cancel487 off the app’s 487 is the one sent (once)', async () => {
    const s = setup({ cancel487: false });
    s.layer.handlers.onRequest(invite(TCP), TCP);
    s.layer.handlers.onRequest(cancel(TCP), TCP);
    await flush();
    await s.layer.respond(makeResponse(invite(TCP), 487, undefined, { toTag: 'uas' }));
    await s.layer.respond(makeResponse(s.cancels[0]!, 200, undefined, { toTag: 'uas' }));
    expect(sent(s)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    expect(s.layer.stats.absorbedResponses).toBe(1);
  });

  it('a response to a request the layer never answered is still sent statelessly', async () => {
    const s = setup();
    await s.layer.respond(makeResponse(request({ via: viaFor(TCP) }), 200, undefined, { toTag: 'x' }));
    expect(sent(s)).toEqual(['200 OPTIONS']);
    expect(s.layer.stats.absorbedResponses).toBe(0);
  });

  it('remembers at most `max` keys, oldest dropped first, each for `ttl`', () => {
    let now = 0;
    const a = new AnsweredByLayer({ ttl: 100, max: 2, now: () => now });
    a.remember('a');
    a.remember('b');
    a.remember('c');
    expect([a.has('a'), a.has('b'), a.has('c'), a.size]).toEqual([false, true, true, 2]);
    now = 100;
    expect(a.has('b')).toBe(false);
    a.remember('d');
    expect(a.size).toBe(1);
  });
});

const TORTURE = new URL('../../message/test/fixtures/torture/rfc4475/', import.meta.url);
const torture = (name: string): SipRequest => parseMessage(new Uint8Array(readFileSync(new URL(name, TORTURE)))) as SipRequest;

describe('416 Unsupported URI Scheme (RFC 3261 §8.2.2.1, §16.3)', () => {
  it.each(['unkscm.sip', 'novelsc.sip'])('RFC 4475 %s: 416 before the user, in a transaction, counted', async (name) => {
    const s = setup();
    const rq = torture(name);
    s.layer.handlers.onRequest(rq, udpRemote());
    s.layer.handlers.onRequest(torture(name), udpRemote()); // a retransmission: the 416 again
    await flush();
    expect(s.requests).toEqual([]);
    expect(s.lb.responses.map((r) => r.status)).toEqual([416, 416]);
    expect(s.lb.responses[0]!.headers.to?.params.tag).toBeTruthy();
    expect(s.layer.stats.unsupportedUriSchemes).toBe(1);
  });

  it.each(['sip:bob@example.com', 'SIPS:bob@example.com', 'tel:+1-201-555-0123'])('%s reaches the user by default', async (uri) => {
    const s = setup();
    s.layer.handlers.onRequest(request({ uri }), udpRemote());
    await flush();
    expect(s.requests).toHaveLength(1);
    expect(s.layer.stats.unsupportedUriSchemes).toBe(0);
  });

  it("uriSchemes: 'any' lets every scheme through; a list replaces the default", async () => {
    const any = setup({ uriSchemes: 'any' });
    any.layer.handlers.onRequest(torture('unkscm.sip'), udpRemote());
    const list = setup({ uriSchemes: ['sip', 'urn'] });
    list.layer.handlers.onRequest(request({ uri: 'urn:service:sos' }), udpRemote());
    list.layer.handlers.onRequest(request({ uri: 'tel:+12015550123', callId: 'call-2@example.com', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKother' }), udpRemote());
    await flush();
    expect(any.requests).toHaveLength(1);
    expect(list.requests.map((r) => r.rq.uri)).toEqual(['urn:service:sos']);
    expect(list.lb.responses.map((r) => r.status)).toEqual([416]);
  });
});
