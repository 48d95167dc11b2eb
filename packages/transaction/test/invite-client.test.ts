/**
 * The INVITE client transaction (RFC 3261 §17.1.1, Figure 5; RFC 6026 §7.2, Figure 5) on a
 * loopback transport and a fake clock: exact Timer A schedules, Timer B, the ACK for non-2xx
 * finals (§17.1.1.3), Timer D, the Accepted state and Timer M, transport errors.
 */
import type { SipRequest } from '@sipts/message';
import type { TransportProtocol } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimerValues } from '../src/clock.js';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';
import { createInviteClientTransaction } from '../src/invite-client.js';
import type { ClientTransaction } from '../src/types.js';
import { clientUser, context, createLoopback, flush, PEER, recordingLogger, remote, request, response, target, type Loopback } from './loopback.js';

interface Setup {
  clock: FakeClock;
  lb: Loopback;
  user: ReturnType<typeof clientUser>;
  tx: ClientTransaction;
  invite: SipRequest;
  startPending: number;
  logger: ReturnType<typeof recordingLogger>;
}

const live: Setup[] = [];

function setup(protocol: TransportProtocol = 'UDP', timers: Partial<TimerValues> = {}): Setup {
  const clock = createFakeClock();
  // An unrelated timer: "back to where it was" must not mean "back to zero" by accident.
  clock.set(1e9, () => undefined);
  const startPending = clock.pending;
  const lb = createLoopback(clock, protocol);
  const logger = recordingLogger();
  const user = clientUser();
  const invite = request('INVITE', {
    route: [
      { uri: { schema: 'sip', host: 'p1.example.com', params: { lr: null }, headers: {} }, params: {} },
      { uri: { schema: 'sip', host: 'p2.example.com', params: { lr: null }, headers: {} }, params: {} },
    ],
  });
  const tx = createInviteClientTransaction(invite, target(lb), { context: context(clock, lb, timers, logger), reliable: lb.reliable }, user);
  const s = { clock, lb, user, tx, invite, startPending, logger };
  live.push(s);
  return s;
}

afterEach(async () => {
  for (const s of live.splice(0)) {
    await flush();
    expect(s.tx.state).toBe('terminated');
    expect(s.user.terminated).toBe(1);
    expect(s.clock.pending).toBe(s.startPending);
  }
});

describe('INVITE client transaction: Calling, Timers A and B', () => {
  it('retransmits at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s over UDP and times out with Timer B at 32 s', () => {
    const s = setup();
    s.tx.start();
    expect(s.tx.state).toBe('calling');
    s.clock.advance(31_999);
    expect(s.lb.times('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15_500, 31_500]);
    expect(s.user.events).toEqual([]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
    expect(s.tx.state).toBe('terminated');
    s.clock.advance(100_000);
    expect(s.lb.times('INVITE')).toHaveLength(7);
  });

  it('never retransmits over a reliable transport; Timer B still fires at 64·T1', () => {
    const s = setup('TCP');
    s.tx.start();
    s.clock.advance(31_999);
    expect(s.lb.times('INVITE')).toEqual([0]);
    expect(s.tx.state).toBe('calling');
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('follows custom T1 (A doubles with no cap, B = 64·T1)', () => {
    const s = setup('UDP', { T1: 100, T2: 200 });
    s.tx.start();
    s.clock.advance(6399);
    expect(s.lb.times('INVITE')).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    s.clock.advance(1);
    expect(s.user.events).toEqual(['timeout', 'terminated']);
  });

  it('keeps the schedule when a send is lost, and stops once a response arrives', () => {
    const s = setup();
    s.lb.dropNth(1);
    s.lb.dropNth(2);
    s.tx.start();
    s.clock.advance(2000);
    expect(s.lb.sends.map((r) => r.outcome)).toEqual(['dropped', 'dropped', 'delivered']);
    s.tx.receiveResponse(response(s.invite, 100), remote(s.lb));
    expect(s.tx.state).toBe('proceeding');
    s.clock.advance(60_000);
    expect(s.lb.times('INVITE')).toEqual([0, 500, 1500]);
    s.tx.terminate();
  });

  it('start() twice sends once', () => {
    const s = setup();
    s.tx.start();
    s.tx.start();
    expect(s.lb.times('INVITE')).toEqual([0]);
    s.tx.terminate();
  });
});

describe('INVITE client transaction: Proceeding', () => {
  it('a 1xx stops Timers A and B and goes to the TU; Proceeding has no timeout', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(700);
    s.tx.receiveResponse(response(s.invite, 180), remote(s.lb));
    expect(s.tx.state).toBe('proceeding');
    expect(s.clock.pending).toBe(s.startPending);
    s.clock.advance(120_000);
    expect(s.lb.times('INVITE')).toEqual([0, 500]);
    s.tx.receiveResponse(response(s.invite, 183), remote(s.lb));
    expect(s.user.events).toEqual(['180', '183']);
    s.tx.receiveResponse(response(s.invite, 200), remote(s.lb));
    expect(s.tx.state).toBe('accepted');
    s.clock.advance(32_000);
    expect(s.user.events).toEqual(['180', '183', '200', 'terminated']);
  });

  it('ignores a response with a status out of range', () => {
    const s = setup();
    s.tx.start();
    s.tx.receiveResponse({ ...response(s.invite, 180), status: 99 }, remote(s.lb));
    s.tx.receiveResponse({ ...response(s.invite, 180), status: 700 }, remote(s.lb));
    expect(s.tx.state).toBe('calling');
    expect(s.user.events).toEqual([]);
    s.tx.terminate();
  });
});

describe('INVITE client transaction: Completed, the ACK and Timer D', () => {
  it('a 486 in Calling: ACK per §17.1.1.3, to the TU once, ACK again for each retransmission, Timer D 32 s', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(600);
    const busy = response(s.invite, 486, 'callee-tag');
    s.tx.receiveResponse(busy, remote(s.lb));
    expect(s.tx.state).toBe('completed');
    expect(s.user.events).toEqual(['486']);
    expect(s.lb.times('ACK')).toEqual([600]);
    s.clock.advance(1000);
    s.tx.receiveResponse(response(s.invite, 486, 'callee-tag'), remote(s.lb));
    s.clock.advance(3000);
    s.tx.receiveResponse(response(s.invite, 486, 'callee-tag'), remote(s.lb));
    expect(s.lb.times('ACK')).toEqual([600, 1600, 4600]);
    expect(s.user.events).toEqual(['486']);
    // No INVITE retransmission after the final response.
    expect(s.lb.times('INVITE')).toEqual([0, 500]);
    s.clock.advance(32_600 - 4600 - 1);
    expect(s.tx.state).toBe('completed');
    s.clock.advance(1);
    expect(s.tx.state).toBe('terminated');
    expect(s.user.events).toEqual(['486', 'terminated']);
  });

  it('builds the ACK: R-URI, Call-ID, From, top Via only, To from the response, CSeq ACK, the Route set, Max-Forwards 70', () => {
    const s = setup();
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 404, 'their-tag'), remote(s.lb));
    const [ack] = s.lb.messages('ACK') as SipRequest[];
    expect(ack).toBeDefined();
    const h = ack!.headers;
    expect(ack!.method).toBe('ACK');
    expect(ack!.uri).toBe(s.invite.uri);
    expect(h['call-id']).toBe(s.invite.headers['call-id']);
    expect(h.from).toEqual(s.invite.headers.from);
    expect(h.via).toEqual([s.invite.headers.via![0]]);
    expect(h.via![0]!.params.branch).toBe(s.tx.branch);
    expect(h.to!.params.tag).toBe('their-tag');
    expect(h.to!.uri).toBe(s.invite.headers.to!.uri);
    expect(h.cseq).toEqual({ seq: 314159, method: 'ACK' });
    expect(h.route).toEqual(s.invite.headers.route);
    expect(h.route).toHaveLength(2);
    expect(h['max-forwards']).toBe('70');
    expect(h.contact).toBeUndefined();
    expect(ack!.content).toBe('');
    s.clock.advance(32_000);
  });

  it('Timer D is max(64·T1, 32 s): 64 s with T1 = 1 s, still 32 s with T1 = 100 ms', () => {
    const a = setup('UDP', { T1: 1000 });
    a.tx.start();
    a.tx.receiveResponse(response(a.invite, 500), remote(a.lb));
    a.clock.advance(63_999);
    expect(a.tx.state).toBe('completed');
    a.clock.advance(1);
    expect(a.tx.state).toBe('terminated');

    const b = setup('UDP', { T1: 100 });
    b.tx.start();
    b.tx.receiveResponse(response(b.invite, 500), remote(b.lb));
    b.clock.advance(31_999);
    expect(b.tx.state).toBe('completed');
    b.clock.advance(1);
    expect(b.tx.state).toBe('terminated');
  });

  it('over a reliable transport: the ACK goes out and Completed ends at once (Timer D = 0)', () => {
    const s = setup('TCP');
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 603), remote(s.lb));
    expect(s.lb.times('ACK')).toEqual([0]);
    expect(s.tx.state).toBe('terminated');
    expect(s.user.events).toEqual(['603', 'terminated']);
    expect(s.clock.pending).toBe(s.startPending);
  });

  it('absorbs 1xx and 2xx in Completed', () => {
    const s = setup();
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 480), remote(s.lb));
    s.tx.receiveResponse(response(s.invite, 180), remote(s.lb));
    s.tx.receiveResponse(response(s.invite, 200), remote(s.lb));
    expect(s.user.events).toEqual(['480']);
    expect(s.lb.times('ACK')).toEqual([0]);
    s.clock.advance(32_000);
  });

  it('a failed ACK informs the TU and ends the transaction (RFC 6026 Figure 5)', async () => {
    const s = setup();
    s.lb.failNth(2);
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 486), remote(s.lb));
    await flush();
    expect(s.user.events).toEqual(['486', 'transport-error', 'terminated']);
  });
});

describe('INVITE client transaction: Accepted and Timer M (RFC 6026)', () => {
  it('a 2xx goes to Accepted: every further 2xx to the TU, nothing else, no ACK, Timer M 64·T1', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(100);
    s.tx.receiveResponse(response(s.invite, 200, 'a'), remote(s.lb));
    expect(s.tx.state).toBe('accepted');
    s.clock.advance(5000);
    s.tx.receiveResponse(response(s.invite, 200, 'a'), remote(s.lb)); // retransmission
    s.tx.receiveResponse(response(s.invite, 202, 'b'), remote(s.lb)); // a fork
    s.tx.receiveResponse(response(s.invite, 180, 'c'), remote(s.lb));
    s.tx.receiveResponse(response(s.invite, 486, 'd'), remote(s.lb));
    expect(s.user.responses.map((r) => `${String(r.status)}:${String(r.headers.to?.params.tag)}`)).toEqual(['200:a', '200:a', '202:b']);
    expect(s.lb.times('ACK')).toEqual([]);
    expect(s.lb.times('INVITE')).toEqual([0]);
    s.clock.advance(32_100 - 5100 - 1);
    expect(s.tx.state).toBe('accepted');
    s.clock.advance(1);
    expect(s.tx.state).toBe('terminated');
    s.tx.receiveResponse(response(s.invite, 200, 'a'), remote(s.lb));
    expect(s.user.responses).toHaveLength(3);
  });

  it('Timer M is 64·T1 over reliable transports too', () => {
    const s = setup('TLS', { T1: 250 });
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 200), remote(s.lb));
    s.clock.advance(15_999);
    expect(s.tx.state).toBe('accepted');
    s.clock.advance(1);
    expect(s.tx.state).toBe('terminated');
  });
});

describe('INVITE client transaction: transport errors and termination', () => {
  it('a rejected send informs the TU and ends the transaction with every timer cleared', async () => {
    const s = setup();
    s.lb.failNth(1);
    s.tx.start();
    await flush();
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
    expect(s.user.errors[0]).toMatchObject({ status: 503 });
    s.clock.advance(40_000);
    expect(s.lb.times('INVITE')).toEqual([0]);
  });

  it('a send that throws synchronously does the same', () => {
    const s = setup();
    s.lb.failNth(1, true);
    s.tx.start();
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('a failed retransmission (Timer A) ends the transaction', async () => {
    const s = setup();
    s.lb.failNth(3);
    s.tx.start();
    s.clock.advance(1500);
    await flush();
    expect(s.lb.times('INVITE')).toEqual([0, 500, 1500]);
    expect(s.user.events).toEqual(['transport-error', 'terminated']);
  });

  it('a send failing late, after the final response, is only logged', async () => {
    const s = setup();
    s.lb.delay = 10;
    s.lb.failNth(1);
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 200), remote(s.lb));
    s.clock.advance(10);
    await flush();
    expect(s.tx.state).toBe('accepted');
    expect(s.user.events).toEqual(['200']);
    s.clock.advance(32_000);
  });

  it('the ACK goes over the flow the INVITE used', async () => {
    const s = setup('TCP');
    const targets: unknown[] = [];
    const send = s.lb.port.sendRequest.bind(s.lb.port);
    s.lb.port.sendRequest = (rq, t, l) => {
      targets.push(t);
      return send(rq, t, l);
    };
    s.tx.start();
    await flush();
    s.tx.receiveResponse(response(s.invite, 486), remote(s.lb));
    expect(targets).toEqual([
      { protocol: 'TCP', address: PEER.address, port: PEER.port },
      { protocol: 'TCP', address: PEER.address, port: PEER.port, flowId: 'flow-1' },
    ]);
  });

  it('terminate() ends it silently: no timeout, every timer cleared, onTerminated once', () => {
    const s = setup();
    s.tx.start();
    s.clock.advance(600);
    s.tx.terminate();
    s.tx.terminate();
    expect(s.user.events).toEqual(['terminated']);
    expect(s.clock.pending).toBe(s.startPending);
    s.clock.advance(60_000);
    expect(s.lb.times('INVITE')).toEqual([0, 500]);
  });

  it('a throwing TU is logged and the machine carries on', () => {
    const s = setup();
    s.user.onResponse = () => {
      throw new Error('boom');
    };
    s.tx.start();
    s.tx.receiveResponse(response(s.invite, 486), remote(s.lb));
    expect(s.tx.state).toBe('completed');
    expect(s.lb.times('ACK')).toEqual([0]);
    expect(s.logger.lines.some((l) => l.level === 'error' && l.msg.includes('onResponse'))).toBe(true);
    s.clock.advance(32_000);
  });

  it('refuses a request without a top Via branch', () => {
    const clock = createFakeClock();
    const lb = createLoopback(clock);
    const rq = request('INVITE');
    rq.headers.via![0]!.params = {};
    expect(() => createInviteClientTransaction(rq, target(lb), { context: context(clock, lb), reliable: false }, clientUser())).toThrow(/branch/);
  });
});
