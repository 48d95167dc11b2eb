/**
 * Server transactions that only wait (Completed under Timer J, Confirmed under I, Accepted under
 * L) leave their machine for the transaction layer's compact table, on a loopback transport and a
 * fake clock: retransmissions are answered from the bytes first sent, the parsed request is not
 * kept, the timers end the entries at their RFC 3261 §17.2 / RFC 6026 values, and one clock timer
 * serves every entry of a duration.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeResponse, serializeMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { createTransactionLayer, type TransactionLayer } from '../src/transaction-layer.js';
import { createLoopback, flush, udpRemote, type Loopback } from './layer-loopback.js';
import { request, type RequestParts } from './layer-messages.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Setup {
  layer: TransactionLayer;
  clock: FakeClock;
  lb: Loopback;
  acks: SipRequest[];
  /** What the TU does with each new request. */
  answer: (rq: SipRequest, st: ServerTransactionHandle) => void;
}
const live: Setup[] = [];

function setup(): Setup {
  const clock = createFakeClock();
  const lb = createLoopback();
  const s: Setup = {
    layer: undefined as unknown as TransactionLayer,
    clock,
    lb,
    acks: [],
    answer: (rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' })),
  };
  s.layer = createTransactionLayer({
    transport: lb.port,
    clock,
    onServerTransaction: (rq, st) => {
      s.answer(rq, st);
    },
    onAck: (ack) => s.acks.push(ack),
  });
  live.push(s);
  return s;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    s.clock.runAll();
    expect(s.layer.size).toBe(0);
    expect(s.clock.pending).toBe(0);
    s.layer.stop();
  }
});

const remote = udpRemote();

function receive(s: Setup, parts: RequestParts): void {
  s.layer.handlers.onRequest(request(parts), remote);
}

const text = (rs: SipResponse): string => new TextDecoder().decode(serializeMessage(rs));

const INVITE: RequestParts = { method: 'INVITE', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1' };
const ACK: RequestParts = { method: 'ACK', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1', to: '<sip:bob@example.com>;tag=uas', cseq: '1 ACK' };

describe('waiting server transactions (the layer keeps them compact)', () => {
  it('non-INVITE Completed answers a retransmission from the bytes it sent, not from the response object', async () => {
    const s = setup();
    let sent: SipResponse | undefined;
    s.answer = (rq, st) => {
      sent = makeResponse(rq, 200, undefined, { toTag: 'uas' });
      void st.respond(sent);
    };
    receive(s, {});
    await flush();
    expect(s.lb.responses).toHaveLength(1);
    const first = text(s.lb.responses[0] as SipResponse);
    // Changing the object after the send must not change what a retransmission gets.
    (sent as SipResponse).headers.subject = 'changed after sending';
    s.clock.advance(1000);
    receive(s, {});
    await flush();
    expect(s.lb.responses).toHaveLength(2);
    expect(text(s.lb.responses[1] as SipResponse)).toBe(first);
    expect(s.layer.size).toBe(1);
  });

  it('holds no parsed request once Completed: the request is collected while retransmissions are still answered', async () => {
    const s = setup();
    let ref: WeakRef<SipRequest> | undefined;
    (() => {
      const rq = request({ via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKweak' });
      ref = new WeakRef(rq);
      s.layer.handlers.onRequest(rq, remote);
    })();
    await flush();
    expect(s.lb.responses).toHaveLength(1);
    s.lb.sent.length = 0; // the loopback's own copies
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(ref?.deref()).toBeUndefined();
    receive(s, { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKweak' });
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([200]);
  });

  it('Timer J (64·T1) ends the entry, not a millisecond earlier; a later copy of the request is new', async () => {
    const s = setup();
    let seen = 0;
    s.answer = (rq, st) => {
      seen++;
      void st.respond(makeResponse(rq, 200, undefined, { toTag: 'uas' }));
    };
    receive(s, {});
    s.clock.advance(64 * 500 - 1);
    expect(s.layer.size).toBe(1);
    s.clock.advance(1);
    expect(s.layer.size).toBe(0);
    receive(s, {});
    expect(seen).toBe(2);
    await flush();
  });

  it('one clock timer serves every waiting entry of one duration, and they end in order', () => {
    const s = setup();
    for (let i = 0; i < 500; i++) {
      receive(s, { via: `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmany${String(i)}` });
      s.clock.advance(10);
    }
    expect(s.layer.size).toBe(500);
    expect(s.clock.pending).toBe(1);
    // Now t=5000. The first entered at t=0, the last at t=4990: each ends 32 s after it came.
    s.clock.advance(64 * 500 - 5000 - 1);
    expect(s.layer.size).toBe(500);
    s.clock.advance(1);
    expect(s.layer.size).toBe(499);
    s.clock.advance(4989);
    expect(s.layer.size).toBe(1);
    s.clock.advance(1);
    expect(s.layer.size).toBe(0);
    expect(s.clock.pending).toBe(0);
  });

  it('INVITE Confirmed (Timer I = T4) absorbs INVITE and ACK retransmissions; the TU sees neither', async () => {
    const s = setup();
    s.answer = (rq, st) => void st.respond(makeResponse(rq, 486, undefined, { toTag: 'uas' }));
    receive(s, INVITE);
    await flush();
    receive(s, ACK);
    expect(s.layer.size).toBe(1);
    s.lb.sent.length = 0;
    receive(s, INVITE);
    receive(s, ACK);
    await flush();
    expect(s.lb.sent).toHaveLength(0);
    expect(s.acks).toHaveLength(0);
    s.clock.advance(5000 - 1);
    expect(s.layer.size).toBe(1);
    s.clock.advance(1);
    expect(s.layer.size).toBe(0);
  });

  it('INVITE Accepted (Timer L = 64·T1): ACKs go to the TU, INVITEs are absorbed, the TU may resend its 2xx but nothing else', async () => {
    const s = setup();
    let rq: SipRequest | undefined;
    s.answer = (r, st) => {
      rq = r;
      void st.respond(makeResponse(r, 200, undefined, { toTag: 'uas' }));
    };
    receive(s, INVITE);
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([200]);
    receive(s, INVITE);
    receive(s, ACK);
    await flush();
    expect(s.lb.responses).toHaveLength(1);
    expect(s.acks).toHaveLength(1);
    const invite = rq as SipRequest;
    await s.layer.respond(makeResponse(invite, 200, undefined, { toTag: 'uas' }));
    await expect(s.layer.respond(makeResponse(invite, 486, undefined, { toTag: 'uas' }))).rejects.toMatchObject({ code: 'invalid-state' });
    expect(s.lb.responses.map((r) => r.status)).toEqual([200, 200]);
    s.clock.advance(64 * 500 - 1);
    expect(s.layer.size).toBe(1);
    s.clock.advance(1);
    expect(s.layer.size).toBe(0);
  });

  it('a CANCEL for an INVITE that waits in Accepted gets 200 with the To tag of the final response (§9.2), no 487', async () => {
    const s = setup();
    receive(s, INVITE);
    await flush();
    receive(s, { method: 'CANCEL', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1' });
    await flush();
    const statuses = s.lb.responses.map((r) => `${String(r.status)} ${r.headers.cseq?.method ?? ''} ${String(r.headers.to?.params.tag)}`);
    expect(statuses).toEqual(['200 INVITE uas', '200 CANCEL uas']);
  });

  it('a merged request (§8.2.2.2) is still answered 482 while the first transaction waits, and not after it ended', async () => {
    const s = setup();
    receive(s, { via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpath1' });
    receive(s, { via: 'SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKpath2' });
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([200, 482]);
    s.clock.advance(64 * 500);
    receive(s, { via: 'SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKpath3' });
    await flush();
    expect(s.lb.responses.map((r) => r.status)).toEqual([200, 482, 200]);
  });

  it('a TCP request ends at once with its final (Timer J is zero): nothing waits', async () => {
    const s = setup();
    s.layer.handlers.onRequest(request({ via: 'SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKtcp' }), { ...remote, protocol: 'TCP' });
    await flush();
    expect(s.lb.responses).toHaveLength(1);
    expect(s.layer.size).toBe(0);
  });
});
