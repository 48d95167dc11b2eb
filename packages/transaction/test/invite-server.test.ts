/**
 * The INVITE server transaction (RFC 3261 §17.2.1, Figure 7; RFC 6026 §7.1, Figure 7) on a
 * loopback transport and a fake clock: 100 Trying at 200 ms, provisional retransmission, exact
 * Timer G schedules, Timer H, ACK → Confirmed and Timer I, Accepted and Timer L, transport errors.
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import type { TransportProtocol } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimerValues } from '../src/clock.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import { createInviteServerTransaction } from '../src/invite-server.js';
import type { ServerTransaction } from '../src/types.js';
import { context, createLoopback, flush, remote, request, serverUser, type Loopback } from './loopback.js';

interface Setup {
  clock: FakeClock;
  lb: Loopback;
  user: ReturnType<typeof serverUser>;
  st: ServerTransaction;
  invite: SipRequest;
  startPending: number;
}

const live: Setup[] = [];

function setup(protocol: TransportProtocol = 'UDP', timers: Partial<TimerValues> = {}, trying100?: boolean): Setup {
  const clock = createFakeClock();
  clock.set(1e9, () => undefined);
  const startPending = clock.pending;
  const lb = createLoopback(clock, protocol);
  const user = serverUser();
  const invite = request('INVITE', { timestamp: '54' });
  const base = { context: context(clock, lb, timers), reliable: lb.reliable };
  const st = createInviteServerTransaction(invite, remote(lb), trying100 === undefined ? base : { ...base, trying100 }, user);
  const s = { clock, lb, user, st, invite, startPending };
  live.push(s);
  return s;
}

function answer(s: Setup, status: number): SipResponse {
  return makeResponse(s.invite, status, undefined, { toTag: 'uas-tag' });
}

function ack(s: Setup): SipRequest {
  const rq = request('ACK');
  rq.headers.to = { ...rq.headers.to!, params: { tag: 'uas-tag' } };
  rq.headers.via = [s.invite.headers.via![0]!];
  return rq;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    expect(s.st.state).toBe('terminated');
    expect(s.user.terminated).toBe(1);
    expect(s.clock.pending).toBe(s.startPending);
  }
});

describe('INVITE server transaction: Proceeding and 100 Trying', () => {
  it('sends 100 Trying at 200 ms when the TU has not answered, and again for each retransmitted INVITE', () => {
    const s = setup();
    expect(s.st.state).toBe('proceeding');
    s.clock.advance(199);
    expect(s.lb.sends).toHaveLength(0);
    s.clock.advance(1);
    expect(s.lb.times('100')).toEqual([200]);
    const trying = s.lb.messages('100')[0] as SipResponse;
    expect(trying.reason).toBe('Trying');
    expect(trying.headers.timestamp).toBe('54');
    expect(trying.headers.to?.params.tag).toBeUndefined();
    expect(trying.headers.via).toEqual(s.invite.headers.via);
    s.clock.advance(300);
    s.st.receiveRequest(s.invite, remote(s.lb));
    expect(s.lb.times('100')).toEqual([200, 500]);
    s.st.terminate();
  });

  it('sends no 100 when the TU answered first; a retransmitted INVITE gets the last provisional', async () => {
    const s = setup();
    s.clock.advance(50);
    await s.st.respond(answer(s, 180));
    expect(s.clock.pending).toBe(s.startPending); // the 100 Trying timer is gone
    s.clock.advance(10_000);
    expect(s.lb.sends.map((r) => r.label)).toEqual(['180']);
    await s.st.respond(answer(s, 183));
    s.st.receiveRequest(s.invite, remote(s.lb));
    expect(s.lb.sends.map((r) => `${r.label}@${String(r.at)}`)).toEqual(['180@50', '183@10050', '183@10050']);
    s.st.terminate();
  });

  it('sends no 100 when the TU answers with a final response first', async () => {
    const s = setup('TCP');
    await s.st.respond(answer(s, 200));
    s.clock.advance(1000);
    expect(s.lb.sends.map((r) => r.label)).toEqual(['200']);
    s.clock.advance(31_000);
  });

  it('trying100: false never sends 100 and absorbs retransmissions until the TU answers', () => {
    const s = setup('UDP', {}, false);
    expect(s.clock.pending).toBe(s.startPending);
    s.clock.advance(5000);
    s.st.receiveRequest(s.invite, remote(s.lb));
    expect(s.lb.sends).toHaveLength(0);
    s.st.terminate();
  });
});

describe('INVITE server transaction: Completed, Timers G and H', () => {
  it('retransmits a 486 at +0.5, 1.5, 3.5, 7.5, then every T2 over UDP; Timer H at 64·T1 tells the TU', async () => {
    const s = setup();
    s.clock.advance(1000); // the 100 went out at 200
    await s.st.respond(answer(s, 486));
    expect(s.st.state).toBe('completed');
    s.clock.advance(31_999);
    expect(s.lb.times('486').map((t) => t - 1000)).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
    expect(s.user.events).toEqual([]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
    s.clock.advance(60_000);
    expect(s.lb.times('486')).toHaveLength(11);
  });

  it('custom T1 and T2: G doubles up to T2, H = 64·T1', async () => {
    const s = setup('UDP', { T1: 100, T2: 300 });
    await s.st.respond(answer(s, 500));
    s.clock.advance(6399);
    const times = s.lb.times('500');
    expect(times.slice(0, 5)).toEqual([0, 100, 300, 600, 900]);
    expect(times.at(-1)).toBe(6300);
    expect(times).toHaveLength(3 + (6300 - 300) / 300);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('a retransmitted INVITE in Completed gets the final response again', async () => {
    const s = setup();
    await s.st.respond(answer(s, 404));
    s.clock.advance(100);
    s.st.receiveRequest(s.invite, remote(s.lb));
    expect(s.lb.times('404')).toEqual([0, 100]);
    s.st.receiveRequest(ack(s), remote(s.lb));
    s.clock.advance(5000);
  });

  it('never retransmits over a reliable transport; Timer H is still 64·T1', async () => {
    const s = setup('TCP');
    await s.st.respond(answer(s, 486));
    s.clock.advance(31_999);
    expect(s.lb.times('486')).toEqual([0]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('refuses a second final response', async () => {
    const s = setup();
    await s.st.respond(answer(s, 486));
    await expect(s.st.respond(answer(s, 200))).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(s.st.respond(answer(s, 180))).rejects.toMatchObject({ code: 'invalid-state' });
    s.st.terminate();
  });

  it('refuses a status out of range', async () => {
    const s = setup();
    await expect(s.st.respond({ ...answer(s, 200), status: 700 })).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(s.st.state).toBe('proceeding');
    s.st.terminate();
  });
});

describe('INVITE server transaction: Confirmed and Timer I', () => {
  it('the ACK stops G and H and moves to Confirmed, which absorbs ACKs and INVITEs for T4', async () => {
    const s = setup();
    await s.st.respond(answer(s, 486));
    s.clock.advance(2000);
    s.st.receiveRequest(ack(s), remote(s.lb));
    expect(s.st.state).toBe('confirmed');
    expect(s.clock.pending).toBe(s.startPending + 1);
    s.st.receiveRequest(ack(s), remote(s.lb));
    s.st.receiveRequest(s.invite, remote(s.lb));
    s.clock.advance(4999);
    expect(s.st.state).toBe('confirmed');
    expect(s.lb.times('486')).toEqual([0, 500, 1500]);
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
    expect(s.user.events).toEqual(['terminated']);
  });

  it('Timer I follows custom T4', async () => {
    const s = setup('UDP', { T4: 2500 });
    await s.st.respond(answer(s, 486));
    s.st.receiveRequest(ack(s), remote(s.lb));
    s.clock.advance(2499);
    expect(s.st.state).toBe('confirmed');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
  });

  it('over a reliable transport the ACK ends the transaction at once (Timer I = 0)', async () => {
    const s = setup('TLS');
    await s.st.respond(answer(s, 603));
    s.st.receiveRequest(ack(s), remote(s.lb));
    expect(s.st.state).toBe('terminated');
    expect(s.user.events).toEqual(['terminated']);
  });

  it('an ACK in Proceeding is ignored', () => {
    const s = setup('UDP', {}, false);
    s.st.receiveRequest(ack(s), remote(s.lb));
    expect(s.st.state).toBe('proceeding');
    s.st.terminate();
  });
});

describe('INVITE server transaction: Accepted and Timer L (RFC 6026)', () => {
  it('a 2xx goes to Accepted: INVITEs and ACKs absorbed, further 2xx sent, Timer L 64·T1', async () => {
    const s = setup();
    s.clock.advance(100);
    await s.st.respond(answer(s, 200));
    expect(s.st.state).toBe('accepted');
    s.clock.advance(500);
    s.st.receiveRequest(s.invite, remote(s.lb));
    s.st.receiveRequest(ack(s), remote(s.lb));
    expect(s.lb.sends.map((r) => r.label)).toEqual(['200']);
    await s.st.respond(answer(s, 200)); // the TU's own 2xx retransmission (§13.3.1.4)
    expect(s.lb.times('200')).toEqual([100, 600]);
    await expect(s.st.respond(answer(s, 486))).rejects.toMatchObject({ code: 'invalid-state' });
    s.clock.advance(32_000 - 500 - 1);
    expect(s.st.state).toBe('accepted');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
    expect(s.user.events).toEqual(['terminated']);
    expect(s.lb.times('100')).toEqual([]);
  });

  it('Timer L is 64·T1 over reliable transports too', async () => {
    const s = setup('TCP', { T1: 1000 });
    await s.st.respond(answer(s, 200));
    s.clock.advance(63_999);
    expect(s.st.state).toBe('accepted');
    s.clock.advance(1);
    expect(s.st.state).toBe('terminated');
  });

  it('a failed 2xx in Accepted informs the TU and stays (RFC 6026 Figure 7)', async () => {
    const s = setup();
    s.lb.failNth(2);
    await s.st.respond(answer(s, 200));
    await expect(s.st.respond(answer(s, 200))).rejects.toMatchObject({ status: 503 });
    expect(s.st.state).toBe('accepted');
    expect(s.user.events).toEqual(['transport-error']);
    s.clock.advance(32_000);
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });
});

describe('INVITE server transaction: transport errors and termination', () => {
  it('a failed provisional: respond rejects, the TU is told, Terminated', async () => {
    const s = setup();
    s.lb.failNth(1);
    await expect(s.st.respond(answer(s, 180))).rejects.toMatchObject({ status: 503 });
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('a failed 100 Trying ends the transaction', async () => {
    const s = setup();
    s.lb.failNth(1);
    s.clock.advance(200);
    await flush();
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('a failed Timer G retransmission ends Completed', async () => {
    const s = setup('UDP', {}, false);
    s.lb.failNth(3);
    await s.st.respond(answer(s, 486));
    s.clock.advance(1500);
    await flush();
    expect(s.lb.times('486')).toEqual([0, 500, 1500]);
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('a send that throws synchronously rejects respond and ends the transaction', async () => {
    const s = setup();
    s.lb.failNth(1, true);
    await expect(s.st.respond(answer(s, 486))).rejects.toMatchObject({ status: 503 });
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('terminate() clears the 100 Trying timer and every other timer', () => {
    const s = setup();
    s.st.terminate();
    s.st.terminate();
    expect(s.clock.pending).toBe(s.startPending);
    s.clock.advance(1000);
    expect(s.lb.sends).toHaveLength(0);
    expect(s.user.events).toEqual(['terminated']);
  });

  it('after Terminated, respond rejects', async () => {
    const s = setup();
    s.st.terminate();
    await expect(s.st.respond(answer(s, 200))).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('works with a user that has no optional callbacks', async () => {
    const clock = createFakeClock();
    const lb = createLoopback(clock);
    const st = createInviteServerTransaction(request('INVITE'), remote(lb), { context: context(clock, lb), reliable: false }, {});
    lb.failNth(1);
    clock.advance(200);
    await flush();
    expect(st.state).toBe('terminated');
    expect(clock.pending).toBe(0);
  });
});
