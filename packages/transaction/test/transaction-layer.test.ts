/**
 * The transaction layer on a loopback transport and a fake clock: matching of retransmissions and
 * ACKs, CANCEL (RFC 3261 §9), merged requests (§8.2.2.2), 400s (by the transport's pipeline in front), failover across targets
 * (RFC 3263 §4.3), synthesized 408/503/487, stray responses, a throwing user, and the RFC 4475
 * semantic cases this layer is responsible for.
 */
import { readFileSync } from 'node:fs';
import { makeResponse, parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { createReceiver, DEFAULT_TRANSPORT_LIMITS, newTransportStats, type MessageSource, type Remote } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import type { RequestUser } from '../src/outgoing-request.js';
import { createTransactionLayer, type TransactionLayer, type TransactionLayerOptions } from '../src/transaction-layer.js';
import { answer, createLoopback, flush, recordingLogger, udpRemote, udpTarget, type Loopback } from './layer-loopback.js';
import { request, type RequestParts } from './layer-messages.js';

interface Setup {
  layer: TransactionLayer;
  clock: FakeClock;
  lb: Loopback;
  logger: ReturnType<typeof recordingLogger>;
  /** What reached the layer's user. */
  got: { requests: { request: SipRequest; st: ServerTransactionHandle }[]; acks: SipRequest[]; strays: SipResponse[] };
}

const live: Setup[] = [];

type LooseOptions = { [K in keyof TransactionLayerOptions]?: TransactionLayerOptions[K] | undefined };

function setup(options: LooseOptions = {}, onServerTransaction?: (rq: SipRequest, st: ServerTransactionHandle, remote: Remote) => void): Setup {
  const clock = createFakeClock();
  const lb = createLoopback();
  const logger = recordingLogger();
  const got: Setup['got'] = { requests: [], acks: [], strays: [] };
  const layer = createTransactionLayer({
    transport: lb.port,
    clock,
    logger,
    onServerTransaction(rq, st, remote) {
      got.requests.push({ request: rq, st });
      onServerTransaction?.(rq, st, remote);
    },
    onAck(ack) {
      got.acks.push(ack);
    },
    onStrayResponse(rs) {
      got.strays.push(rs);
    },
    ...(options as Partial<TransactionLayerOptions>),
  });
  const s = { layer, clock, lb, logger, got };
  live.push(s);
  return s;
}

/**
 * Every test ends with an empty table and no timers: answer what the test left unanswered (a
 * server transaction waits for its user forever, RFC 3261 §17.2), run the clock out, then stop.
 */
afterEach(async () => {
  for (const s of live.splice(0)) {
    for (const { request: rq, st } of s.got.requests) {
      if (!st.finalSent && (st.state === 'proceeding' || st.state === 'trying')) void st.respond(makeResponse(rq, 480, undefined, { toTag: 'end' }));
    }
    await flush();
    s.clock.runAll();
    await flush();
    expect(s.layer.size).toBe(0);
    expect(s.clock.pending).toBe(0);
    s.layer.stop();
  }
});

/** A user recording what a request gets. */
function recorder(): RequestUser & { responses: { rs: SipResponse; remote: Remote | undefined }[]; terminated: number } {
  const r = {
    responses: [] as { rs: SipResponse; remote: Remote | undefined }[],
    terminated: 0,
    onResponse(rs: SipResponse, remote: Remote | undefined) {
      r.responses.push({ rs, remote });
    },
    onTerminated() {
      r.terminated++;
    },
  };
  return r;
}

const REMOTE = udpRemote('192.0.2.1', 5060);
const inbound = (p: RequestParts): SipRequest => request(p);

describe('server side: matching (RFC 3261 §17.2.3)', () => {
  it('absorbs a retransmitted request and re-sends the final response', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' })));
    s.layer.handlers.onRequest(inbound({}), REMOTE);
    await flush();
    s.layer.handlers.onRequest(inbound({}), REMOTE);
    await flush();
    expect(s.got.requests).toHaveLength(1);
    expect(s.lb.responses.map((r) => r.status)).toEqual([200, 200]);
    expect(s.layer.size).toBe(1);
  });

  it('passes a request with a new branch to the user as a new transaction', () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' })));
    s.layer.handlers.onRequest(inbound({ cseq: '1 OPTIONS' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ cseq: '2 OPTIONS', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKother' }), REMOTE);
    expect(s.got.requests).toHaveLength(2);
  });

  it('matches the ACK of a non-2xx final to its INVITE server transaction', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 486, undefined, { toTag: 'busy' })));
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    await flush();
    const st = s.got.requests[0]!.st;
    expect(st.state).toBe('completed');
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=busy' }), REMOTE);
    expect(st.state).toBe('confirmed');
    expect(s.got.acks).toHaveLength(0);
  });

  it('gives the ACK of a 2xx (new branch) to onAck', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'ok' })));
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    await flush();
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=ok', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKack2' }), REMOTE);
    expect(s.got.acks).toHaveLength(1);
  });

  it('gives onAck an ACK that reuses the branch of an INVITE answered 2xx (Accepted)', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'ok' })));
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    await flush();
    expect(s.got.requests[0]!.st.state).toBe('accepted');
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=ok' }), REMOTE);
    expect(s.got.acks).toHaveLength(1);
  });

  it.each([
    [undefined, [100]],
    [true, [100]],
    [false, []],
  ] as const)('with trying100 %s, an unanswered INVITE gets %j after 200 ms (§17.2.1)', (trying100, expected) => {
    const s = setup(trying100 === undefined ? {} : { trying100 });
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.clock.advance(199);
    expect(s.lb.responses).toHaveLength(0);
    s.clock.advance(1);
    expect(s.lb.responses.map((r) => r.status)).toEqual(expected);
  });

  it('drops an ACK that matches nothing when there is no onAck', () => {
    const s = setup({ onAck: undefined });
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK' }), REMOTE);
    expect(s.lb.sent).toHaveLength(0);
    expect(s.logger.lines.some((l) => l.msg.includes('ACK'))).toBe(true);
  });
});

describe('CANCEL (RFC 3261 §9.2)', () => {
  const ringing = (rq: SipRequest, st: ServerTransactionHandle): void => {
    if (rq.method === 'INVITE') void st.respond(makeResponse(rq, 180, undefined, { toTag: 'ring' }));
  };
  const cancel = (p: RequestParts = {}): SipRequest => inbound({ method: 'CANCEL', cseq: '1 CANCEL', ...p });

  it('answers 200 to the CANCEL and 487 to the INVITE, with the same To tag, and tells the user', async () => {
    const cancels: SipRequest[] = [];
    const s = setup({}, (rq, st) => {
      ringing(rq, st);
      st.onCancel = (c) => cancels.push(c);
    });
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(cancel(), REMOTE);
    await flush();
    const sent = s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq!.method} ${String(r.headers.to!.params.tag)}`);
    expect(sent).toEqual(['180 INVITE ring', '200 CANCEL ring', '487 INVITE ring']);
    expect(cancels).toHaveLength(1);
    expect(s.got.requests).toHaveLength(1); // the CANCEL is not a new request for the user
    expect(s.got.requests[0]!.st.cancelled).toBe(true);
    // the ACK of the 487 matches the INVITE transaction
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=ring' }), REMOTE);
    expect(s.got.requests[0]!.st.state).toBe('confirmed');
  });

  it('absorbs a retransmitted CANCEL (re-sends its 200, tells the user once)', async () => {
    let told = 0;
    const s = setup({}, (rq, st) => {
      ringing(rq, st);
      st.onCancel = () => told++;
    });
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(cancel(), REMOTE);
    s.layer.handlers.onRequest(cancel(), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq!.method}`)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE', '200 CANCEL']);
    expect(told).toBe(1);
  });

  it('answers 481 to a CANCEL that matches no INVITE', async () => {
    const s = setup();
    s.layer.handlers.onRequest(cancel(), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([481]);
    expect(s.got.requests).toHaveLength(0);
  });

  it('answers 481 to a CANCEL from another sent-by', async () => {
    const s = setup({}, ringing);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(cancel({ via: 'SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKbranch1' }), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([180, 481]);
  });

  it('answers 200 but sends no 487 after the user’s final response', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'ok' })));
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    await flush();
    s.layer.handlers.onRequest(cancel(), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq!.method}`)).toEqual(['200 INVITE', '200 CANCEL']);
  });

  it('leaves the 487 to the user when cancel487 is off', async () => {
    let told = false;
    const s = setup({ cancel487: false }, (rq, st) => {
      ringing(rq, st);
      st.onCancel = () => {
        told = true;
        void st.respond(makeResponse(st.request, 487, undefined, { toTag: 'ring' }));
      };
    });
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(cancel(), REMOTE);
    await flush();
    expect(told).toBe(true);
    expect(s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq!.method}`)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
  });

  it('cancels an RFC 2543 INVITE (no branch) by the RFC 2543 rules', async () => {
    const s = setup({}, ringing);
    const old: RequestParts = { via: 'SIP/2.0/UDP old.example.com:5060' };
    s.layer.handlers.onRequest(inbound({ ...old, method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(cancel(old), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq!.method}`)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
  });
});

describe('merged requests (RFC 3261 §8.2.2.2) and bad requests', () => {
  it('answers 482 to a request that arrives again by another branch', async () => {
    const s = setup({}, ringingAll);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE', via: 'SIP/2.0/UDP p1.example.com;branch=z9hG4bKpath1' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE', via: 'SIP/2.0/UDP p2.example.com;branch=z9hG4bKpath2' }), REMOTE);
    await flush();
    expect(s.got.requests).toHaveLength(1);
    expect(s.lb.responses.map((r) => r.status)).toEqual([180, 482]);
    // the 482 is retransmission-safe: a copy of the merged request gets the 482 again, not a new one
    s.layer.handlers.onRequest(inbound({ method: 'INVITE', via: 'SIP/2.0/UDP p2.example.com;branch=z9hG4bKpath2' }), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([180, 482, 482]);
  });

  it('passes a spiralling request on when merged-request detection is off (a proxy, §16.3)', async () => {
    const s = setup({ mergedRequests: false }, ringingAll);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE', via: 'SIP/2.0/UDP p1.example.com;branch=z9hG4bKpath1' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE', via: 'SIP/2.0/UDP p2.example.com;branch=z9hG4bKpath2' }), REMOTE);
    await flush();
    expect(s.got.requests).toHaveLength(2);
    expect(s.lb.responses.map((r) => r.status)).toEqual([180, 180]);
  });

  it('does not merge requests with a To tag, or once the first transaction ended', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 't' })));
    const inDialog: RequestParts = { to: '<sip:bob@example.com>;tag=dlg' };
    s.layer.handlers.onRequest(inbound({ ...inDialog, via: 'SIP/2.0/UDP p1;branch=z9hG4bKa' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ ...inDialog, via: 'SIP/2.0/UDP p2;branch=z9hG4bKb' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ via: 'SIP/2.0/UDP p1;branch=z9hG4bKc' }), REMOTE);
    await flush();
    s.clock.runAll(); // Timer J ends the first out-of-dialog transaction
    s.layer.handlers.onRequest(inbound({ via: 'SIP/2.0/UDP p2;branch=z9hG4bKd' }), REMOTE);
    expect(s.got.requests).toHaveLength(4);
  });

  it.each([
    ['Call-ID', { callId: null }, 'missing Call-ID header'],
    ['From', { from: null }, 'missing From header'],
    ['To', { to: null }, 'missing To header'],
    ['CSeq', { cseq: null }, 'missing CSeq header'],
  ] as const)('behind the transport pipeline, a request without %s is answered 400 there and never reaches the layer', (_, parts, why) => {
    const s = setup();
    const pipe = pipeline(s);
    pipe.receive(inbound(parts), REMOTE);
    expect(s.got.requests).toHaveLength(0);
    expect(pipe.replies.map((r) => r.status)).toEqual([400]);
    expect(pipe.replies[0]!.headers.warning).toBe(`399 - "${why}"`);
    expect(s.lb.sent).toHaveLength(0); // the layer built no 400 of its own
    expect(s.layer.size).toBe(0);
  });

  it('behind the transport pipeline, a CSeq method that differs from the request method is answered 400', () => {
    const s = setup();
    const pipe = pipeline(s);
    const rq = inbound({ method: 'OPTIONS' });
    rq.headers.cseq = { seq: 1, method: 'INVITE' };
    pipe.receive(rq, REMOTE);
    expect(pipe.replies.map((r) => r.status)).toEqual([400]);
    expect(s.got.requests).toHaveLength(0);
  });

  it('behind the transport pipeline, a request without Via is dropped (nobody to answer) and an ACK is never answered', () => {
    const s = setup();
    const pipe = pipeline(s);
    pipe.receive(inbound({ via: null }), REMOTE);
    pipe.receive(inbound({ method: 'ACK', cseq: '1 ACK', callId: null }), REMOTE);
    expect(pipe.replies).toHaveLength(0);
    expect(s.lb.sent).toHaveLength(0);
    expect(s.got.acks).toHaveLength(0);
  });

  it('accepts a request without Max-Forwards (RFC 2543 peers omit it)', () => {
    const s = setup();
    s.layer.handlers.onRequest(inbound({ maxForwards: null }), REMOTE);
    expect(s.got.requests).toHaveLength(1);
  });
});

/**
 * The transport's receive pipeline in front of the layer, as every transport runs it: messages
 * are serialized and fed as bytes; what the pipeline answers itself (400s) is in `replies`.
 */
function pipeline(s: Setup): { receive(message: SipMessage, remote: Remote): void; replies: SipResponse[] } {
  const replies: SipResponse[] = [];
  const receive = createReceiver<MessageSource>({ limits: DEFAULT_TRANSPORT_LIMITS, logger: s.logger, trace: undefined, stats: newTransportStats(), handlers: s.layer.handlers });
  const source: MessageSource = {
    framing: 'datagram',
    reply(bytes) {
      replies.push(parseMessage(bytes) as SipResponse);
    },
  };
  return {
    replies,
    receive(message, remote) {
      receive(serializeMessage(message), remote, source);
    },
  };
}

function ringingAll(rq: SipRequest, st: ServerTransactionHandle): void {
  void st.respond(makeResponse(rq, rq.method === 'INVITE' ? 180 : 200, undefined, { toTag: 'x' }));
}

describe('a throwing user', () => {
  it('gets a 500 sent for it and the error logged; the layer keeps working', async () => {
    const s = setup({}, () => {
      throw new Error('boom');
    });
    s.layer.handlers.onRequest(inbound({}), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => `${String(r.status)} ${String(r.reason)}`)).toEqual(['500 Server Internal Error']);
    expect(s.logger.lines.some((l) => l.level === 'error' && l.msg.includes('onServerTransaction'))).toBe(true);
    s.layer.handlers.onRequest(inbound({ via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKnext', cseq: '2 OPTIONS' }), REMOTE);
    expect(s.got.requests).toHaveLength(2);
  });

  it('sends no 500 when the user answered before throwing', async () => {
    const s = setup({}, (rq, st) => {
      void st.respond(makeResponse(rq, 404, undefined, { toTag: 'x' }));
      throw new Error('after answering');
    });
    s.layer.handlers.onRequest(inbound({}), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([404]);
  });

  it('survives throwing onAck, onStrayResponse and onCancel hooks', async () => {
    const s = setup({
      onAck: () => {
        throw new Error('ack');
      },
      onStrayResponse: () => {
        throw new Error('stray');
      },
    });
    s.layer.handlers.onRequest(inbound({ method: 'ACK', cseq: '1 ACK' }), REMOTE);
    s.layer.handlers.onResponse(makeResponse(inbound({}), 200), REMOTE);
    await flush();
    expect(s.logger.lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });
});

describe('client side: sending, failover and synthesized responses', () => {
  const T1 = udpTarget('192.0.2.10');
  const T2 = udpTarget('192.0.2.20');
  const outbound = (p: RequestParts = {}): SipRequest => request({ via: null, ...p });
  const branchOf = (rq: SipRequest): string => String(rq.headers.via![0]!.params.branch);
  const respond = (s: Setup, n: number, status: number, extra?: Record<string, string>): void => {
    s.layer.handlers.onResponse(answer(s.lb.requests[n]!.request, status, 'peer', extra), udpRemote(s.lb.requests[n]!.target.address));
  };

  it('adds a top Via with a fresh branch and matches the response (§17.1.3)', async () => {
    const s = setup();
    const user = recorder();
    const rq = outbound();
    const tx = s.layer.sendRequest(rq, [T1], user);
    await flush();
    expect(s.lb.requests).toHaveLength(1);
    expect(branchOf(rq)).toMatch(/^z9hG4bK[a-z2-7]{20}$/);
    expect(tx.branch).toBe(branchOf(rq));
    respond(s, 0, 200);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200]);
    expect(user.responses[0]!.remote?.address).toBe('192.0.2.10');
    s.clock.runAll();
    expect(user.terminated).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('keeps a branch the caller set', () => {
    const s = setup();
    const rq = request({ via: 'SIP/2.0/UDP x;branch=z9hG4bKmine' });
    s.layer.sendRequest(rq, [T1], recorder());
    expect(s.lb.requests[0]!.request.headers.via![0]!.params.branch).toBe('z9hG4bKmine');
  });

  it('refuses an ACK, an empty target list, and sending after stop', () => {
    const s = setup();
    expect(() => s.layer.sendRequest(outbound({ method: 'ACK', cseq: '1 ACK' }), [T1], recorder())).toThrow(/sendAck/);
    expect(() => s.layer.sendRequest(outbound(), [], recorder())).toThrow(/no target/);
    s.layer.stop();
    expect(() => s.layer.sendRequest(outbound(), [T1], recorder())).toThrow(/stopped/);
  });

  it('fails over on a transport error to the next target with a new branch', async () => {
    const s = setup();
    s.lb.failTargets.add('192.0.2.10:5060');
    const user = recorder();
    const tx = s.layer.sendRequest(outbound(), [T1, T2], user);
    await flush();
    expect(s.lb.requests.map((r) => r.target.address)).toEqual(['192.0.2.20']);
    expect(tx.attempts).toBe(2);
    expect(tx.target.address).toBe('192.0.2.20');
    respond(s, 0, 200);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200]);
  });

  it('fails over on a 503 (not delivered) and delivers the next target’s answer', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound(), [T1, T2], user);
    await flush();
    respond(s, 0, 503);
    await flush();
    expect(s.lb.requests.map((r) => r.target.address)).toEqual(['192.0.2.10', '192.0.2.20']);
    expect(branchOf(s.lb.requests[1]!.request)).not.toBe(branchOf(s.lb.requests[0]!.request));
    respond(s, 1, 200);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200]);
  });

  it('fails over on a timeout (Timer F) to the next target', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound(), [T1, T2], user);
    await flush();
    s.clock.advance(64 * 500);
    await flush();
    const toT2 = s.lb.requests.filter((r) => r.target.address === '192.0.2.20');
    expect(toT2).toHaveLength(1);
    expect(branchOf(toT2[0]!.request)).not.toBe(branchOf(s.lb.requests[0]!.request));
    expect(user.responses).toHaveLength(0);
    respond(s, s.lb.requests.findIndex((r) => r.target.address === '192.0.2.20'), 200);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200]);
  });

  it('fails over an INVITE on Timer B, and its 503 from the first target too', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound({ method: 'INVITE' }), [T1, T2, udpTarget('192.0.2.30')], user);
    await flush();
    respond(s, 0, 503);
    await flush();
    const second = s.lb.requests.findIndex((r) => r.target.address === '192.0.2.20');
    expect(second).toBeGreaterThan(0);
    s.clock.advance(64 * 500);
    await flush();
    const third = s.lb.requests.filter((r) => r.target.address === '192.0.2.30' && r.request.method === 'INVITE');
    expect(third).toHaveLength(1);
    expect(user.responses).toHaveLength(0);
  });

  it('synthesizes 408 Request Timeout after the last target times out', async () => {
    const s = setup();
    const user = recorder();
    const rq = outbound();
    s.layer.sendRequest(rq, [T1], user);
    s.clock.advance(64 * 500);
    await flush();
    expect(user.responses.map((r) => `${String(r.rs.status)} ${String(r.rs.reason)}`)).toEqual(['408 Request Timeout']);
    expect(user.responses[0]!.remote).toBeUndefined();
    expect(user.responses[0]!.rs.headers['call-id']).toBe(rq.headers['call-id']);
    expect(user.terminated).toBe(1);
  });

  it('synthesizes 503 Service Unavailable after the last target fails', async () => {
    const s = setup();
    s.lb.failTargets.add('192.0.2.10:5060').add('192.0.2.20:5060');
    const user = recorder();
    s.layer.sendRequest(outbound({ method: 'INVITE' }), [T1, T2], user);
    await flush();
    expect(user.responses.map((r) => `${String(r.rs.status)} ${String(r.rs.reason)}`)).toEqual(['503 Service Unavailable']);
    expect(user.terminated).toBe(1);
  });

  it('synthesizes 430 Flow Failed when the target’s flow is closing (RFC 5626 §5.3), 503 for other errors', async () => {
    const s = setup();
    const flow = { protocol: 'WS' as const, address: '192.0.2.40', port: 50_000, flowId: 'WS/7/192.0.2.40/50000' };
    s.lb.failFlows.add(flow.flowId);
    const user = recorder();
    const rq = outbound({ method: 'INVITE' });
    s.layer.sendRequest(rq, [flow], user);
    await flush();
    expect(user.responses.map((r) => `${String(r.rs.status)} ${String(r.rs.reason)}`)).toEqual(['430 Flow Failed']);
    expect(user.responses[0]!.remote).toBeUndefined();
    expect(user.responses[0]!.rs.headers['call-id']).toBe(rq.headers['call-id']);
    expect(user.terminated).toBe(1);
    // The same address without the flow fails as any transport error does.
    s.lb.failTargets.add('192.0.2.40:50000');
    const other = recorder();
    s.layer.sendRequest(outbound({ method: 'INVITE' }), [{ protocol: 'WS', address: flow.address, port: flow.port }], other);
    await flush();
    expect(other.responses.map((r) => r.rs.status)).toEqual([503]);
  });

  it('delivers the real 503 (with Retry-After) from the last target', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound(), [T1], user);
    await flush();
    respond(s, 0, 503, { 'retry-after': '30' });
    expect(user.responses.map((r) => r.rs.headers['retry-after'])).toEqual(['30']);
  });

  it('does not fail over once a provisional other than 100 arrived', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound({ method: 'INVITE' }), [T1, T2], user);
    await flush();
    respond(s, 0, 180);
    respond(s, 0, 503);
    await flush();
    expect(s.lb.requests.filter((r) => r.request.method === 'INVITE').map((r) => r.target.address)).toEqual(['192.0.2.10']);
    expect(user.responses.map((r) => r.rs.status)).toEqual([180, 503]);
  });

  it('gives further 2xx of an INVITE to the user (RFC 6026 Accepted)', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound({ method: 'INVITE' }), [T1], user);
    await flush();
    respond(s, 0, 200);
    respond(s, 0, 200);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200, 200]);
  });

  it('gives a response that matches no transaction to onStrayResponse', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(outbound(), [T1], user);
    await flush();
    const other = answer(s.lb.requests[0]!.request, 200);
    other.headers.via![0]!.params.branch = 'z9hG4bKunknown';
    s.layer.handlers.onResponse(other, REMOTE);
    // same branch, other method: no match either (§17.1.3)
    const cancelRs = answer(s.lb.requests[0]!.request, 200);
    cancelRs.headers.cseq = { seq: 1, method: 'CANCEL' };
    s.layer.handlers.onResponse(cancelRs, REMOTE);
    expect(s.got.strays).toHaveLength(2);
    expect(user.responses).toHaveLength(0);
    respond(s, 0, 200);
    expect(user.responses).toHaveLength(1);
  });

  it('keeps a non-INVITE in Completed as a key that absorbs for Timer K, and lets its user go at the final (§17.1.2.2)', async () => {
    const s = setup();
    const user = recorder();
    const tx = s.layer.sendRequest(outbound(), [T1], user);
    await flush();
    respond(s, 0, 200);
    // The request is over for its user at the final response: nothing of it is held for Timer K.
    expect(user.terminated).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(s.layer.size).toBe(1);
    // A retransmission of the final response within Timer K (T4) is absorbed: not the user's, not stray.
    s.clock.advance(4_999);
    respond(s, 0, 200);
    expect(user.responses).toHaveLength(1);
    expect(s.got.strays).toHaveLength(0);
    // After Timer K the key is gone: the same response matches nothing.
    s.clock.advance(1);
    expect(s.layer.size).toBe(0);
    respond(s, 0, 200);
    expect(s.got.strays).toHaveLength(1);
    expect(user.responses).toHaveLength(1);
  });
});

describe('client transactions that only wait, kept by the layer', () => {
  const T1 = udpTarget('192.0.2.10');
  const respond = (s: Setup, status: number): void => {
    s.layer.handlers.onResponse(answer(s.lb.requests[0]!.request, status, 'peer'), udpRemote(s.lb.requests[0]!.target.address));
  };

  it('an INVITE in Accepted: further 2xx reach the request user for Timer M, then onTerminated (RFC 6026 §7.2)', async () => {
    const s = setup();
    const user = recorder();
    const tx = s.layer.sendRequest(request({ method: 'INVITE', cseq: '1 INVITE' }), [T1], user);
    await flush();
    respond(s, 200);
    expect(tx.state).toBe('terminated'); // the machine is gone: the layer holds the key
    expect(s.layer.size).toBe(1);
    expect(user.terminated).toBe(0);
    s.clock.advance(31_999);
    respond(s, 200);
    respond(s, 180);
    respond(s, 486);
    expect(user.responses.map((r) => r.rs.status)).toEqual([200, 200]);
    expect(s.got.strays).toHaveLength(0);
    s.clock.advance(1);
    expect(user.terminated).toBe(1);
    expect(s.layer.size).toBe(0);
    respond(s, 200);
    expect(s.got.strays).toHaveLength(1);
  });

  it('stopping the layer ends a handed-over INVITE for its user', async () => {
    const s = setup();
    const user = recorder();
    s.layer.sendRequest(request({ method: 'INVITE', cseq: '1 INVITE' }), [T1], user);
    await flush();
    respond(s, 200);
    s.layer.stop();
    expect(user.terminated).toBe(1);
    expect(s.layer.size).toBe(0);
  });
});

describe('CANCEL of our INVITE (RFC 3261 §9.1)', () => {
  const T = udpTarget('192.0.2.10');

  it('waits for a provisional, then cancels with the INVITE’s branch, to the same target', async () => {
    const s = setup();
    const user = recorder();
    const tx = s.layer.sendRequest(request({ method: 'INVITE', via: null, extra: ['Route: <sip:proxy.example.com;lr>'] }), [T], user);
    await flush();
    expect(tx.cancel()).toBe(true);
    await flush();
    expect(s.lb.requests.map((r) => r.request.method)).toEqual(['INVITE']);
    const invite = s.lb.requests[0]!.request;
    s.layer.handlers.onResponse(answer(invite, 180), REMOTE);
    await flush();
    const cancel = s.lb.requests[1]!;
    expect(cancel.request.method).toBe('CANCEL');
    expect(cancel.target).toEqual(T);
    expect(cancel.request.headers.via).toHaveLength(1);
    expect(cancel.request.headers.via![0]!.params.branch).toBe(invite.headers.via![0]!.params.branch);
    expect(cancel.request.headers.cseq).toEqual({ seq: 1, method: 'CANCEL' });
    expect(cancel.request.headers.route).toEqual(invite.headers.route);
    expect(cancel.request.uri).toEqual(invite.uri);
    s.layer.handlers.onResponse(answer(cancel.request, 200), REMOTE);
    s.layer.handlers.onResponse(answer(invite, 487), REMOTE);
    await flush();
    expect(user.responses.map((r) => r.rs.status)).toEqual([180, 487]);
    expect(s.lb.requests.map((r) => r.request.method)).toEqual(['INVITE', 'CANCEL', 'ACK']);
  });

  it('sends nothing when the final response comes first', async () => {
    const s = setup();
    const tx = s.layer.sendRequest(request({ method: 'INVITE', via: null }), [T], recorder());
    tx.cancel();
    await flush();
    s.layer.handlers.onResponse(answer(s.lb.requests[0]!.request, 486), REMOTE);
    await flush();
    expect(s.lb.requests.map((r) => r.request.method)).toEqual(['INVITE', 'ACK']);
    expect(tx.cancel()).toBe(false);
  });

  it('considers the INVITE cancelled 64·T1 after the CANCEL when no final comes (synthesized 487)', async () => {
    const s = setup();
    const user = recorder();
    const tx = s.layer.sendRequest(request({ method: 'INVITE', via: null }), [T], user);
    await flush();
    s.layer.handlers.onResponse(answer(s.lb.requests[0]!.request, 180), REMOTE);
    tx.cancel();
    s.clock.advance(64 * 500);
    await flush();
    expect(user.responses.map((r) => `${String(r.rs.status)} ${String(r.rs.reason)}`)).toEqual(['180 Ringing', '487 Request Terminated']);
    expect(tx.state).toBe('terminated');
    expect(user.terminated).toBe(1);
  });

  it('does not cancel a non-INVITE (only stops failover)', async () => {
    const s = setup();
    const tx = s.layer.sendRequest(request({ via: null }), [T], recorder());
    expect(tx.cancel()).toBe(false);
    await flush();
    s.layer.handlers.onResponse(answer(s.lb.requests[0]!.request, 100), REMOTE);
    expect(s.lb.requests.map((r) => r.request.method)).toEqual(['OPTIONS']);
  });
});

describe('stateless sending, ACK, size and stop', () => {
  it('sends a response with no transaction (§18.2.2)', async () => {
    const s = setup();
    await s.layer.sendStateless(makeResponse(request({}), 200), REMOTE);
    expect(s.lb.responses.map((r) => r.status)).toEqual([200]);
    expect(s.layer.size).toBe(0);
  });

  it('respond() sends through the server transaction of the request, else statelessly', async () => {
    const s = setup();
    const rq = inbound({ method: 'INVITE' });
    s.layer.handlers.onRequest(rq, REMOTE);
    const st = s.got.requests[0]!.st;
    await s.layer.respond(makeResponse(rq, 486, undefined, { toTag: 'b' }));
    expect(st.state).toBe('completed');
    expect(st.finalSent).toBe(true); // through the handle: a CANCEL now sends no 487
    // a retransmitted INVITE gets the 486 again: the transaction has it
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([486, 486]);
    await expect(s.layer.respond(makeResponse(rq, 200))).rejects.toThrow(/completed/);
    await s.layer.respond(makeResponse(inbound({ via: 'SIP/2.0/UDP h;branch=z9hG4bKnone' }), 200));
    expect(s.lb.sent.at(-1)).toMatchObject({ kind: 'response', remote: undefined });
  });

  it('sends an ACK with no transaction, adding a Via with a branch', async () => {
    const s = setup();
    const ack = request({ method: 'ACK', cseq: '1 ACK', via: null });
    await s.layer.sendAck(ack, udpTarget('192.0.2.10'));
    expect(String(s.lb.requests[0]!.request.headers.via![0]!.params.branch)).toMatch(/^z9hG4bK/);
    expect(s.layer.size).toBe(0);
  });

  it('stop() ends every transaction and timer, and tells request users', async () => {
    const s = setup({}, ringingAll);
    const user = recorder();
    s.layer.sendRequest(request({ method: 'INVITE', via: null }), [udpTarget('192.0.2.10')], user);
    s.layer.handlers.onRequest(inbound({ method: 'INVITE' }), REMOTE);
    s.layer.handlers.onRequest(inbound({ via: 'SIP/2.0/UDP h;branch=z9hG4bKo' }), REMOTE);
    await flush();
    expect(s.layer.size).toBe(3);
    expect(s.clock.pending).toBeGreaterThan(0);
    s.layer.stop();
    expect(s.layer.size).toBe(0);
    expect(s.clock.pending).toBe(0);
    expect(user.terminated).toBe(1);
    expect(user.responses).toHaveLength(0);
    s.layer.handlers.onRequest(inbound({ via: 'SIP/2.0/UDP h;branch=z9hG4bKlate' }), REMOTE);
    expect(s.got.requests).toHaveLength(2);
  });
});

/**
 * RFC 4475 cases whose fault is semantic (they parse): which this layer answers, and how.
 * - `400`: the transport's receive pipeline answers 400 (mandatory headers missing); the layer never sees it.
 * - `matched`: transaction matching handles it (a retransmission is absorbed).
 * - `stray`: a response that matches no transaction: onStrayResponse (the transport decides where responses may go).
 * - `tu`: passed to the user (UAS, registrar or proxy core decides: 416, 420, 415, 483, …).
 */
const SEMANTIC: Record<string, '400' | '416' | 'matched' | 'stray' | 'tu'> = {
  insuf: '400', // §3.3.14: no Call-ID, From or To
  badbranch: 'matched', // §3.2.1: branch of exactly the magic cookie
  inv2543: 'matched', // §3.4.1: RFC 2543 matching (no branch)
  bcast: 'stray', // §3.3.11: a response, not ours
  unkscm: '416', // §3.3.1, RFC 3261 §8.2.2.1
  novelsc: '416', // §3.3.2
  unksm2: 'tu', // §3.3.3: registrar 400
  bext01: 'tu', // §3.3.4: 420
  invut: 'tu', // §3.3.5: 415
  regaut01: 'tu', // §3.3.6: registrar
  zeromf: 'tu', // §3.3.12: a proxy answers 483; an endpoint answers normally
  cparam01: 'tu', // §3.3.13
  cparam02: 'tu',
  regescrt: 'tu', // §3.3.15
  sdp01: 'tu', // §3.3.10: 406
};

function torture(name: string): ReturnType<typeof parseMessage> {
  const bytes = readFileSync(new URL(`../../message/test/fixtures/torture/rfc4475/${name}.sip`, import.meta.url));
  return parseMessage(new Uint8Array(bytes));
}

describe('RFC 4475 semantic cases at the transaction layer', () => {
  it.each(Object.entries(SEMANTIC))('%s → %s', async (name, outcome) => {
    // A non-2xx final, so that a retransmitted INVITE gets it again too (Completed, not Accepted).
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 404, undefined, { toTag: 'uas' })));
    const remote = udpRemote('192.0.2.5');
    const pipe = pipeline(s);
    const deliver = (): void => {
      const m = torture(name);
      pipe.receive(m, remote);
    };
    deliver();
    deliver(); // a retransmission
    await flush();
    switch (outcome) {
      case '400':
        // The transport's pipeline answers these; the layer never sees them.
        expect(s.got.requests).toHaveLength(0);
        expect(pipe.replies.map((r) => r.status)).toEqual([400, 400]);
        expect(s.lb.sent).toHaveLength(0);
        break;
      case '416':
        expect(s.got.requests).toHaveLength(0);
        expect(s.lb.responses.map((r) => r.status)).toEqual([416, 416]);
        break;
      case 'matched':
      case 'tu':
        expect(s.got.requests).toHaveLength(1);
        expect(s.lb.responses.map((r) => r.status)).toEqual([404, 404]);
        break;
      case 'stray':
        expect(s.got.strays).toHaveLength(2);
        expect(s.lb.sent).toHaveLength(0);
        break;
    }
  });

  it('keeps two RFC 2543 requests that differ only in CSeq apart (the classic library merged them)', async () => {
    const s = setup({}, (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' })));
    const base = torture('inv2543') as SipRequest;
    s.layer.handlers.onRequest(base, REMOTE);
    const next = torture('inv2543') as SipRequest;
    next.headers.cseq = { seq: 57, method: 'INVITE' };
    s.layer.handlers.onRequest(next, REMOTE);
    await flush();
    expect(s.got.requests).toHaveLength(2);
    expect(s.lb.responses.map((r) => r.headers.cseq!.seq)).toEqual([56, 57]);
  });
});
