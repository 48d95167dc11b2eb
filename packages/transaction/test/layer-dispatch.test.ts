/**
 * While the layer hands a request to the TU (onServerTransaction): the transaction's first timer
 * waits for the TU, so a request answered inside the callback arms none (the non-INVITE give-up
 * guard, the INVITE's 100 Trying delay) and one answered later still gets both (RFC 3261 §17.2.1;
 * the guard is ours, 64·T1); and `serverTransactionOf` finds the transaction being dispatched.
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { createTransactionLayer, type TransactionLayer } from '../src/transaction-layer.js';
import { createLoopback, flush, udpRemote, type Loopback } from './layer-loopback.js';
import { request } from './layer-messages.js';

interface Setup {
  layer: TransactionLayer;
  clock: FakeClock;
  lb: Loopback;
  /** Durations of the timers set on the clock (`set` and `setCall`), in order. */
  timers: number[];
  later: { rq: SipRequest; st: ServerTransactionHandle }[];
}
const live: Setup[] = [];

/**
 * A layer whose TU answers 200 at once (`now`) or keeps the request for later. With `bare`, the
 * layer gets a clock without `setCall` (as a user's own clock may be): the machines' timers then
 * go through `set` with a callback each.
 */
function setup(now: boolean, bare = false): Setup {
  const clock = createFakeClock();
  const timers: number[] = [];
  const set = clock.set.bind(clock);
  clock.set = (ms, fn) => {
    timers.push(ms);
    return set(ms, fn);
  };
  const setCall = clock.setCall!.bind(clock);
  clock.setCall = (ms, target, slot) => {
    timers.push(ms);
    return setCall(ms, target, slot);
  };
  const lb = createLoopback();
  const later: Setup['later'] = [];
  const given: Clock = bare ? { now: () => clock.now(), set: (ms, fn) => clock.set(ms, fn), clear: (t) => { clock.clear(t); }, get pending() { return clock.pending; } } : clock;
  const layer = createTransactionLayer({
    transport: lb.port,
    clock: given,
    onServerTransaction: (rq, st) => {
      if (now) void st.respond(makeResponse(rq, rq.method === 'INVITE' ? 486 : 200, undefined, { toTag: 'uas' }));
      else later.push({ rq, st });
    },
  });
  const s = { layer, clock, lb, timers, later };
  live.push(s);
  return s;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    s.clock.runAll();
    s.layer.stop();
  }
});

const remote = udpRemote();

describe('the first timer of a server transaction waits for the TU', () => {
  it('arms no timer per request answered inside the callback: only the waiting table has one', () => {
    const s = setup(true);
    for (let n = 0; n < 5; n++) s.layer.handlers.onRequest(request({ method: 'OPTIONS', via: `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnow${String(n)}`, callId: `now${String(n)}`, cseq: '1 OPTIONS' }), remote);
    expect(s.lb.responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // One timer for the table's queue of Completed entries (Timer J), none per transaction.
    expect(s.timers).toEqual([64 * 500]);
  });

  it('a non-INVITE answered later still ends by its guard at 64·T1 when the TU never answers', () => {
    const s = setup(false);
    s.layer.handlers.onRequest(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlate1', cseq: '1 OPTIONS' }), remote);
    expect(s.timers).toEqual([64 * 500]);
    expect(s.layer.size).toBe(1);
    s.clock.advance(64 * 500);
    expect(s.later[0]?.st.state).toBe('terminated');
    expect(s.layer.size).toBe(0);
  });

  it('on a clock without setCall, the guard and the 100 Trying delay still fire (through set)', () => {
    const s = setup(false, true);
    s.layer.handlers.onRequest(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbare1', cseq: '1 OPTIONS' }), remote);
    s.layer.handlers.onRequest(request({ method: 'INVITE', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbare2' }), remote);
    expect(s.timers).toEqual([64 * 500, 200]);
    s.clock.advance(200);
    expect(s.lb.responses.map((r) => r.status)).toEqual([100]);
    s.clock.advance(64 * 500);
    expect(s.later[0]?.st.state).toBe('terminated');
    void s.later[1]?.st.respond(makeResponse(s.later[1].rq, 486, undefined, { toTag: 'uas' }));
  });

  it('an INVITE answered later gets its 100 Trying after 200 ms', () => {
    const s = setup(false);
    s.layer.handlers.onRequest(request({ method: 'INVITE', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlate2' }), remote);
    expect(s.lb.responses).toHaveLength(0);
    s.clock.advance(200);
    expect(s.lb.responses.map((r) => r.status)).toEqual([100]);
    void s.later[0]?.st.respond(makeResponse(s.later[0].rq, 486, undefined, { toTag: 'uas' }));
  });
});

describe('serverTransactionOf while the TU has the request', () => {
  it('finds the transaction being dispatched, by its exact Via and CSeq or by key, and not once it waits', () => {
    const clock = createFakeClock();
    const lb = createLoopback();
    const seen: (ServerTransactionHandle | undefined)[] = [];
    const layer: TransactionLayer = createTransactionLayer({
      transport: lb.port,
      clock,
      onServerTransaction: (rq) => {
        const rs = makeResponse(rq, 200, undefined, { toTag: 'uas' });
        seen.push(layer.serverTransactionOf(rs));
        // The same key in another spelling (branch case): found by the key lookup.
        const other = makeResponse(rq, 200, undefined, { toTag: 'uas' });
        other.headers.via![0]!.params.branch = 'z9hG4bKCASE1';
        seen.push(layer.serverTransactionOf(other));
        // Another branch: not this transaction.
        const foreign = makeResponse(rq, 200, undefined, { toTag: 'uas' });
        foreign.headers.via![0]!.params.branch = 'z9hG4bKother';
        seen.push(layer.serverTransactionOf(foreign));
        void seen[0]?.respond(rs);
        // Completed: the layer keeps it as a waiting entry, no longer a live transaction.
        seen.push(layer.serverTransactionOf(rs));
      },
    });
    layer.handlers.onRequest(request({ method: 'OPTIONS', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcase1', cseq: '1 OPTIONS' }), remote);
    expect(seen[0]).toBeDefined();
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBeUndefined();
    expect(seen[3]).toBeUndefined();
    expect(lb.responses.map((r) => r.status)).toEqual([200]);
    layer.stop();
  });
});
