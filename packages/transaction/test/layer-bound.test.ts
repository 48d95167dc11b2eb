/**
 * The bound on server transactions (`maxServerTransactions`), on a loopback transport and a fake
 * clock: every server transaction is made by a peer's request, so past the bound a new request is
 * answered 503 with Retry-After statelessly and leaves nothing behind (RFC 3261 §21.5.4, §20.33),
 * while retransmissions still reach their transactions, and room comes back as Timer J ends entries.
 */
import { makeResponse, serializeMessage, type SipRequest, type SipResponse } from '@sipts/message';
import type { TransportHandlers } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { createStack } from '../src/stack.js';
import { createTransactionLayer, type TransactionLayer, type TransactionLayerOptions } from '../src/transaction-layer.js';
import { createLoopback, flush, recordingLogger, udpRemote, type Loopback } from './layer-loopback.js';
import { request, type RequestParts } from './layer-messages.js';

interface Setup {
  layer: TransactionLayer;
  clock: FakeClock;
  lb: Loopback;
  logger: ReturnType<typeof recordingLogger>;
  /** What reached the user: new requests with their transactions, CANCELs, ACKs. */
  requests: { rq: SipRequest; st: ServerTransactionHandle }[];
  cancels: SipRequest[];
  acks: SipRequest[];
}
const live: Setup[] = [];

/** A UAS that answers OPTIONS 200 at once, rings INVITEs (180) and leaves the rest unanswered. */
function setup(options: Pick<TransactionLayerOptions, 'maxServerTransactions'>): Setup {
  const clock = createFakeClock();
  const lb = createLoopback();
  const logger = recordingLogger();
  const s: Setup = { layer: undefined as unknown as TransactionLayer, clock, lb, logger, requests: [], cancels: [], acks: [] };
  s.layer = createTransactionLayer({
    transport: lb.port,
    clock,
    logger,
    ...options,
    onServerTransaction(rq, st) {
      s.requests.push({ rq, st });
      if (rq.method === 'OPTIONS') void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' }));
      if (rq.method === 'INVITE') {
        void st.respond(makeResponse(rq, 180, undefined, { toTag: 'uas' }));
        st.onCancel = (cancel) => {
          s.cancels.push(cancel);
        };
      }
    },
    onAck(ack) {
      s.acks.push(ack);
    },
  });
  live.push(s);
  return s;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    for (const { rq, st } of s.requests) if (!st.finalSent && st.state !== 'terminated') void st.respond(makeResponse(rq, 480, undefined, { toTag: 'end' }));
    await flush();
    s.clock.runAll();
    await flush();
    expect(s.layer.size).toBe(0);
    expect(s.clock.pending).toBe(0);
    s.layer.stop();
  }
});

const remote = udpRemote();
const via = (branch: string): string => `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${branch}`;
/** A request with its own branch (and Call-ID, so no two merge). */
const distinct = (branch: string, p: RequestParts = {}): SipRequest => request({ via: via(branch), callId: `${branch}@example.com`, ...p });
const receive = (s: Setup, rq: SipRequest): void => {
  s.layer.handlers.onRequest(rq, remote);
};
const sent = (s: Setup): string[] => s.lb.responses.map((r) => `${String(r.status)} ${r.headers['call-id'] as string}`);

describe('maxServerTransactions: a peer cannot grow the server tables without bound', () => {
  it('three distinct requests make transactions; a fourth is answered 503 with Retry-After and makes none', async () => {
    const s = setup({ maxServerTransactions: 3 });
    for (const b of ['a', 'b', 'c']) receive(s, distinct(b));
    await flush();
    expect(s.requests).toHaveLength(3);
    expect(s.layer.size).toBe(3);

    receive(s, distinct('d'));
    await flush();
    expect(s.requests).toHaveLength(3); // the user never saw it
    expect(s.layer.size).toBe(3);
    expect(s.layer.stats.overloadedRequests).toBe(1);
    expect(sent(s)).toEqual(['200 a@example.com', '200 b@example.com', '200 c@example.com', '503 d@example.com']);
    const rs = s.lb.sent.at(-1) as { kind: 'response'; response: SipResponse; remote: unknown };
    expect(rs.remote).toEqual(remote); // back the way the request came (RFC 3261 §18.2.2)
    expect(rs.response.headers['retry-after']).toBe('5');
    expect(rs.response.headers.to?.params.tag).toMatch(/.+/);
    const text = new TextDecoder().decode(serializeMessage(rs.response));
    expect(text).toMatch(/^SIP\/2\.0 503 Service Unavailable\r\n/);
    expect(text).toContain('\r\nRetry-After: 5\r\n');
    expect(s.logger.lines.filter((l) => l.level === 'debug' && l.msg.includes('503'))).toHaveLength(1);
  });

  it('at the bound, retransmissions still reach their transactions (Completed, Proceeding, Trying); only the new request gets 503', async () => {
    const s = setup({ maxServerTransactions: 3 });
    const options = distinct('a'); // answered 200: waiting under Timer J
    const invite = distinct('b', { method: 'INVITE' }); // 180: live, Proceeding
    const info = distinct('c', { method: 'INFO' }); // unanswered: live, Trying
    for (const rq of [options, invite, info]) receive(s, rq);
    receive(s, distinct('d'));
    await flush();
    expect(sent(s)).toEqual(['200 a@example.com', '180 b@example.com', '503 d@example.com']);

    for (const rq of [distinct('a'), distinct('b', { method: 'INVITE' }), distinct('c', { method: 'INFO' })]) receive(s, rq);
    await flush();
    // The 200 and the 180 again; Trying absorbs the INFO (§17.2.2). No 503 for any of them.
    expect(sent(s)).toEqual(['200 a@example.com', '180 b@example.com', '503 d@example.com', '200 a@example.com', '180 b@example.com']);
    expect(s.requests).toHaveLength(3);
    expect(s.layer.size).toBe(3);
    expect(s.layer.stats.overloadedRequests).toBe(1);
  });

  it('Timer J frees the bound: once 64·T1 has passed, a new request makes a transaction again', async () => {
    const s = setup({ maxServerTransactions: 3 });
    for (const b of ['a', 'b', 'c']) receive(s, distinct(b));
    receive(s, distinct('d'));
    s.clock.advance(64 * 500 - 1);
    receive(s, distinct('d'));
    await flush();
    expect(s.layer.stats.overloadedRequests).toBe(2);
    expect(s.layer.size).toBe(3);

    s.clock.advance(1); // Timer J ends the three waiting entries
    expect(s.layer.size).toBe(0);
    receive(s, distinct('d'));
    await flush();
    expect(s.requests.map((r) => r.rq.headers['call-id'])).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']);
    expect(s.layer.size).toBe(1);
    expect(sent(s)).toEqual(['200 a@example.com', '200 b@example.com', '200 c@example.com', '503 d@example.com', '503 d@example.com', '200 d@example.com']);
    expect(s.layer.stats.overloadedRequests).toBe(2);
  });

  it('a CANCEL over the bound gets 503 and no transaction, and its INVITE goes on; an ACK is passed on, never answered', async () => {
    const s = setup({ maxServerTransactions: 1 });
    receive(s, distinct('inv', { method: 'INVITE' }));
    receive(s, distinct('inv', { method: 'CANCEL', cseq: '1 CANCEL' }));
    receive(s, distinct('ack2xx', { method: 'ACK', to: '<sip:bob@example.com>;tag=uas', cseq: '1 ACK' }));
    await flush();
    expect(s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq?.method ?? ''}`)).toEqual(['180 INVITE', '503 CANCEL']);
    expect(s.cancels).toHaveLength(0);
    expect(s.requests[0]?.st.state).toBe('proceeding');
    expect(s.acks).toHaveLength(1);
    expect(s.layer.size).toBe(1);
    expect(s.layer.stats.overloadedRequests).toBe(1);
  });

  it('a request the layer would answer itself (416) also gets the 503 over the bound: every answer in a transaction counts', async () => {
    const s = setup({ maxServerTransactions: 1 });
    receive(s, distinct('a'));
    receive(s, distinct('b', { uri: 'unknown:bob@example.com' }));
    await flush();
    expect(sent(s)).toEqual(['200 a@example.com', '503 b@example.com']);
    expect(s.layer.stats.unsupportedUriSchemes).toBe(0);
    expect(s.layer.size).toBe(1);
  });

  it('Infinity turns the bound off; NaN, a negative or a fraction is refused', async () => {
    const s = setup({ maxServerTransactions: Infinity });
    for (let i = 0; i < 20; i++) receive(s, distinct(`n${String(i)}`));
    await flush();
    expect(s.layer.size).toBe(20);
    expect(s.layer.stats.overloadedRequests).toBe(0);
    for (const bad of [Number.NaN, -1, 2.5]) {
      expect(() => createTransactionLayer({ transport: s.lb.port, clock: s.clock, maxServerTransactions: bad, onServerTransaction: () => undefined })).toThrow(/maxServerTransactions/);
    }
  });

  it('createStack passes the option to its layer', async () => {
    const lb = createLoopback();
    const clock = createFakeClock();
    let handlers: TransportHandlers | undefined;
    const stack = createStack({
      clock,
      maxServerTransactions: 1,
      resolve: () => Promise.resolve([]),
      transport: (h) => {
        handlers = h;
        return { port: lb.port, start: () => Promise.resolve(), stop: () => Promise.resolve() };
      },
    });
    stack.setRequestHandler((rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' })));
    handlers?.onRequest(distinct('a'), remote);
    handlers?.onRequest(distinct('b'), remote);
    await flush();
    expect(lb.responses.map((r) => r.status)).toEqual([200, 503]);
    expect(stack.stats.overloadedRequests).toBe(1);
    expect(stack.transactions).toBe(1);
    clock.runAll();
    await stack.stop();
    expect(stack.transactions).toBe(0);
  });
});
