/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8) on a loopback transport and a
 * fake clock: Trying, Proceeding, Completed, Timer J, retransmitted requests, transport errors.
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import type { TransportProtocol } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimerValues } from '../src/clock.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import { createNonInviteServerTransaction } from '../src/non-invite-server.js';
import type { ServerTransaction } from '../src/types.js';
import { context, createLoopback, flush, remote, request, serverUser, type Loopback } from './loopback.js';

interface Setup {
  clock: FakeClock;
  lb: Loopback;
  user: ReturnType<typeof serverUser>;
  st: ServerTransaction;
  rq: SipRequest;
  startPending: number;
}

const live: Setup[] = [];

function setup(protocol: TransportProtocol = 'UDP', timers: Partial<TimerValues> = {}): Setup {
  const clock = createFakeClock();
  clock.set(1e9, () => undefined);
  const startPending = clock.pending;
  const lb = createLoopback(clock, protocol);
  const user = serverUser();
  const rq = request('REGISTER');
  const st = createNonInviteServerTransaction(rq, remote(lb), { context: context(clock, lb, timers), reliable: lb.reliable }, user);
  const s = { clock, lb, user, st, rq, startPending };
  live.push(s);
  return s;
}

function answer(s: Setup, status: number): SipResponse {
  return makeResponse(s.rq, status, undefined, { toTag: 'uas-tag' });
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    expect(s.st.state).toBe('terminated');
    expect(s.user.terminated).toBe(1);
    expect(s.clock.pending).toBe(s.startPending);
  }
});

describe('non-INVITE server transaction', () => {
  it('Trying discards retransmissions; nothing is sent on its own; only the unanswered-TU guard runs', () => {
    const s = setup();
    expect(s.st.state).toBe('trying');
    expect(s.clock.pending).toBe(s.startPending + 1);
    s.clock.advance(10_000);
    s.st.receiveRequest(s.rq, remote(s.lb));
    expect(s.lb.sends).toHaveLength(0);
    s.st.terminate();
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('ends by itself 64·T1 after the request when the TU never answers (not in the RFC: no leak)', () => {
    const s = setup();
    s.clock.advance(64 * 500 - 1);
    expect(s.st.state).toBe('trying');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
    expect(s.user.events).toEqual(['timeout', 'terminated']);
    expect(s.lb.sends).toHaveLength(0);
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('Proceeding on a provisional; retransmissions get the last provisional, then the final; Timer J 64·T1', async () => {
    const s = setup();
    await s.st.respond(answer(s, 100));
    expect(s.st.state).toBe('proceeding');
    s.clock.advance(500);
    s.st.receiveRequest(s.rq, remote(s.lb));
    await s.st.respond(answer(s, 183));
    s.st.receiveRequest(s.rq, remote(s.lb));
    s.clock.advance(500);
    await s.st.respond(answer(s, 200));
    expect(s.st.state).toBe('completed');
    s.st.receiveRequest(s.rq, remote(s.lb));
    s.clock.advance(1000);
    s.st.receiveRequest(s.rq, remote(s.lb));
    expect(s.lb.sends.map((r) => `${r.label}@${String(r.at)}`)).toEqual(['100@0', '100@500', '183@500', '183@500', '200@1000', '200@1000', '200@2000']);
    s.clock.advance(32_000 - 1000 - 1);
    expect(s.st.state).toBe('completed');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
    expect(s.user.events).toEqual(['terminated']);
  });

  it('a final straight from Trying: Completed, then Terminated at 64·T1 (custom T1)', async () => {
    const s = setup('UDP', { T1: 50 });
    await s.st.respond(answer(s, 404));
    s.clock.advance(3199);
    expect(s.st.state).toBe('completed');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
    expect(s.lb.times('404')).toEqual([0]);
  });

  it('over a reliable transport the final response ends it at once (Timer J = 0)', async () => {
    const s = setup('TCP');
    const sent = s.st.respond(answer(s, 200));
    expect(s.st.state).toBe('terminated');
    await sent;
    s.st.receiveRequest(s.rq, remote(s.lb));
    expect(s.lb.times('200')).toEqual([0]);
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('refuses a response after the final one', async () => {
    const s = setup();
    await s.st.respond(answer(s, 200));
    await expect(s.st.respond(answer(s, 200))).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(s.st.respond({ ...answer(s, 200), status: 42 })).rejects.toMatchObject({ code: 'invalid-argument' });
    s.clock.advance(32_000);
  });

  it('ignores a request of another method', async () => {
    const s = setup();
    await s.st.respond(answer(s, 100));
    s.st.receiveRequest(request('OPTIONS'), remote(s.lb));
    expect(s.lb.sends).toHaveLength(1);
    s.st.terminate();
  });

  it('a failed response: respond rejects, the TU is told, Terminated', async () => {
    const s = setup();
    s.lb.failNth(1);
    await expect(s.st.respond(answer(s, 100))).rejects.toMatchObject({ status: 503 });
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('a failed retransmission of the final ends Completed', async () => {
    const s = setup();
    s.lb.failNth(2);
    await s.st.respond(answer(s, 200));
    s.st.receiveRequest(s.rq, remote(s.lb));
    await flush();
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('a failed final over a reliable transport is reported by respond only (already Terminated)', async () => {
    const s = setup('TCP');
    s.lb.failNth(1);
    await expect(s.st.respond(answer(s, 500))).rejects.toMatchObject({ status: 503 });
    expect(s.user.events).toEqual(['terminated']);
  });

  it('a synchronous send failure rejects respond', async () => {
    const clock = createFakeClock();
    const lb = createLoopback(clock);
    const user = serverUser();
    const rq = request('OPTIONS');
    const st = createNonInviteServerTransaction(rq, remote(lb), { context: context(clock, lb), reliable: false }, user);
    lb.failNth(1, true);
    await expect(st.respond(makeResponse(rq, 200))).rejects.toMatchObject({ status: 503 });
    expect(user.events).toEqual(['transport-error', 'terminated']);
    expect(clock.pending).toBe(0);
  });
});
