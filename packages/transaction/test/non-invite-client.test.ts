/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6) on a loopback transport and a
 * fake clock: exact Timer E schedules (capped at T2, T2 in Proceeding), Timer F through
 * Proceeding, Timer K, reliable transports, transport errors.
 */
import type { SipRequest } from '@sipts/message';
import type { TransportProtocol } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimerValues } from '../src/clock.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import { createNonInviteClientTransaction } from '../src/non-invite-client.js';
import type { ClientTransaction } from '../src/types.js';
import { clientUser, context, createLoopback, flush, remote, request, response, target, type Loopback } from './loopback.js';

interface Setup {
  clock: FakeClock;
  lb: Loopback;
  user: ReturnType<typeof clientUser>;
  tx: ClientTransaction;
  rq: SipRequest;
  startPending: number;
}

const live: Setup[] = [];

function setup(protocol: TransportProtocol = 'UDP', timers: Partial<TimerValues> = {}, method = 'OPTIONS'): Setup {
  const clock = createFakeClock(1000);
  clock.set(1e9, () => undefined);
  const startPending = clock.pending;
  const lb = createLoopback(clock, protocol);
  const user = clientUser();
  const rq = request(method);
  const tx = createNonInviteClientTransaction(rq, target(lb), { context: context(clock, lb, timers), reliable: lb.reliable }, user);
  const s = { clock, lb, user, tx, rq, startPending };
  live.push(s);
  return s;
}

/** Send times relative to the clock's start (1000). */
function rel(times: number[]): number[] {
  return times.map((t) => t - 1000);
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    expect(s.tx.state).toBe('terminated');
    expect(s.user.terminated).toBe(1);
    expect(s.clock.pending).toBe(s.startPending);
  }
});

describe('non-INVITE client transaction: Trying, Timers E and F', () => {
  it('over UDP sends at 0, 0.5, 1.5, 3.5, 7.5, then every T2 = 4 s, and Timer F fires at 32 s', () => {
    const s = setup();
    s.tx.start();
    expect(s.tx.state).toBe('trying');
    s.clock.advance(31_999);
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
    expect(s.user.events).toEqual([]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
    s.clock.advance(100_000);
    expect(s.lb.times('OPTIONS')).toHaveLength(11);
  });

  it('never retransmits over a reliable transport; Timer F still fires at 64·T1', () => {
    const s = setup('WS');
    s.tx.start();
    s.clock.advance(31_999);
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('follows custom T1, T2 (E doubles up to T2; F = 64·T1)', () => {
    const s = setup('UDP', { T1: 200, T2: 1000, T4: 2000 });
    s.tx.start();
    s.clock.advance(12_799);
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 200, 600, 1400, 2400, 3400, 4400, 5400, 6400, 7400, 8400, 9400, 10_400, 11_400, 12_400]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('a lost request is retransmitted on schedule', () => {
    const s = setup();
    s.lb.dropNth(1);
    s.tx.start();
    s.clock.advance(500);
    expect(s.lb.sends.map((r) => r.outcome)).toEqual(['dropped', 'delivered']);
    s.tx.receiveResponse(response(s.rq, 200), remote(s.lb));
    expect(s.user.events).toEqual(['200']);
    s.clock.advance(5000);
  });
});

describe('non-INVITE client transaction: Proceeding', () => {
  it('a 1xx before the first retransmission: Timer E then fires every T2, and Timer F still ends it at 32 s', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(100);
    s.tx.receiveResponse(response(s.rq, 100), remote(s.lb));
    expect(s.tx.state).toBe('proceeding');
    s.clock.advance(31_899);
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 500, 4500, 8500, 12_500, 16_500, 20_500, 24_500, 28_500]);
    expect(s.user.events).toEqual(['100']);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['100', 'timeout', 'terminated']);
  });

  it('a 1xx later: the running Timer E interval finishes, then T2', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(600);
    s.tx.receiveResponse(response(s.rq, 180), remote(s.lb));
    s.clock.advance(10_000);
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 500, 1500, 5500, 9500]);
    s.tx.receiveResponse(response(s.rq, 183), remote(s.lb));
    s.tx.receiveResponse(response(s.rq, 202), remote(s.lb));
    expect(s.user.events).toEqual(['180', '183', '202']);
    expect(s.tx.state).toBe('completed');
    s.clock.advance(5000);
  });
});

describe('non-INVITE client transaction: Completed handed to its user', () => {
  it('a user that takes the hand-off gets Timer K (T4) to keep: the machine arms no timer and calls nothing more', async () => {
    const clock = createFakeClock(1000);
    const lb = createLoopback(clock, 'UDP');
    const user = clientUser();
    const handOffs: unknown[] = [];
    const rq = request('OPTIONS');
    const tx = createNonInviteClientTransaction(rq, target(lb), { context: context(clock, lb, { T4: 4321 }), reliable: false }, { ...user, onWaiting: (h) => handOffs.push(h) > 0 });
    tx.start();
    tx.receiveResponse(response(rq, 200), remote(lb));
    await flush();
    expect(handOffs).toEqual([{ what: 'completed', ms: 4321 }]);
    expect(tx.state).toBe('completed');
    expect(clock.pending).toBe(0);
    clock.runAll();
    expect(user.events).toEqual(['200']);
  });

  it('a user that declines keeps the machine on Timer K; over a reliable transport nothing is handed off', async () => {
    for (const [protocol, answer, timers] of [['UDP', false, 1], ['TCP', true, 0]] as const) {
      const clock = createFakeClock(1000);
      const lb = createLoopback(clock, protocol);
      const user = clientUser();
      const asked: unknown[] = [];
      const rq = request('OPTIONS');
      const tx = createNonInviteClientTransaction(rq, target(lb), { context: context(clock, lb, {}), reliable: lb.reliable }, { ...user, onWaiting: (h) => { asked.push(h); return answer; } });
      tx.start();
      tx.receiveResponse(response(rq, 200), remote(lb));
      await flush();
      expect(asked).toHaveLength(protocol === 'UDP' ? 1 : 0);
      expect(clock.pending).toBe(timers);
      clock.advance(5000);
      expect(tx.state).toBe('terminated');
      expect(user.events).toEqual(['200', 'terminated']);
    }
  });
});

describe('non-INVITE client transaction: Completed and Timer K', () => {
  it('a final response: to the TU once, retransmissions absorbed, no more sends, Timer K = T4', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(700);
    s.tx.receiveResponse(response(s.rq, 404), remote(s.lb));
    expect(s.tx.state).toBe('completed');
    expect(s.clock.pending).toBe(s.startPending + 1);
    s.tx.receiveResponse(response(s.rq, 404), remote(s.lb));
    s.tx.receiveResponse(response(s.rq, 100), remote(s.lb));
    s.clock.advance(4999);
    expect(s.tx.state).toBe('completed');
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 500]);
    s.clock.advance(1);
    expect(s.tx.state).toBe('terminated');
    expect(s.user.events).toEqual(['404', 'terminated']);
  });

  it('Timer K follows custom T4', () => {
    const s = setup('UDP', { T4: 1234 });
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 200), remote(s.lb));
    s.clock.advance(1233);
    expect(s.tx.state).toBe('completed');
    s.clock.advance(1);
    expect(s.tx.state).toBe('terminated');
  });

  it('over a reliable transport, Completed ends at once (Timer K = 0)', () => {
    const s = setup('TCP', {}, 'REGISTER');
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 100), remote(s.lb));
    s.tx.receiveResponse(response(s.rq, 200), remote(s.lb));
    expect(s.tx.state).toBe('terminated');
    expect(s.user.events).toEqual(['100', '200', 'terminated']);
    expect(s.clock.pending).toBe(s.startPending);
  });
});

describe('non-INVITE client transaction: transport errors and termination', () => {
  it('a rejected send informs the TU and ends the transaction', async () => {
    const s = setup();
    s.lb.failNth(1);
    s.tx.start();
    await flush();
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
    s.clock.advance(40_000);
    expect(s.lb.times('OPTIONS')).toHaveLength(1);
  });

  it('a failed retransmission in Proceeding ends it too', async () => {
    const s = setup();
    s.lb.failNth(3);
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 100), remote(s.lb));
    s.clock.advance(4500);
    await flush();
    expect(rel(s.lb.times('OPTIONS'))).toEqual([0, 500, 4500]);
    expect(s.user.events).toEqual(['100', 'transport-error', 'terminated']);
  });

  it('a delayed send that fails after the final response is ignored', async () => {
    const s = setup();
    s.lb.delay = 50;
    s.lb.failNth(1);
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 200), remote(s.lb));
    s.clock.advance(50);
    await flush();
    expect(s.user.events).toEqual(['200']);
    s.clock.advance(5000);
    expect(s.user.events).toEqual(['200', 'terminated']);
  });

  it('terminate() clears every timer at once', () => {
    const s = setup();
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 100), remote(s.lb));
    s.tx.terminate();
    expect(s.clock.pending).toBe(s.startPending);
    expect(s.user.events).toEqual(['100', 'terminated']);
  });

  it('a TU that ends the transaction from onResponse does not get a second onTerminated', () => {
    const s = setup('TCP');
    s.user.onResponse = () => {
      s.tx.terminate();
    };
    s.tx.start();
    s.tx.receiveResponse(response(s.rq, 200), remote(s.lb));
    expect(s.user.terminated).toBe(1);
  });

  it('refuses a request without a top Via', () => {
    const clock = createFakeClock();
    const lb = createLoopback(clock);
    const rq = request('OPTIONS');
    delete rq.headers.via;
    expect(() => createNonInviteClientTransaction(rq, target(lb), { context: context(clock, lb), reliable: false }, clientUser())).toThrow(/Via/);
  });
});
