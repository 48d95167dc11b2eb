/**
 * The stack instance over real UDP and TCP on 127.0.0.1: two (or three) stacks exchanging
 * OPTIONS and INVITE/180/200/ACK/BYE, CANCEL through an AbortSignal, failover and synthesized
 * responses, a throwing handler, and stop() leaving no transaction and no timer behind.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag, type Target } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { nextHop } from '../src/node/index.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { inDialog, newRequest, portOf, startStack, stopAll, targetOf, until, uriOf } from './stack-helpers.js';

afterEach(stopAll);

type Proto = 'UDP' | 'TCP';

/** A UAS that answers OPTIONS and BYE 200, and INVITE 180 then 200 (with a Contact back to it). */
async function startUas(protocol: Proto = 'UDP', answerInvite = true) {
  const got: { requests: SipRequest[]; acks: SipRequest[]; cancels: SipRequest[]; sts: ServerTransactionHandle[] } = { requests: [], acks: [], cancels: [], sts: [] };
  const { stack, clock } = await startStack({
    onAck(ack) {
      got.acks.push(ack);
    },
  });
  stack.setRequestHandler((rq, st) => {
    got.requests.push(rq);
    got.sts.push(st);
    st.onCancel = (c) => got.cancels.push(c);
    const toTag = generateTag();
    if (rq.method === 'INVITE') {
      void st.respond(makeResponse(rq, 180, undefined, { toTag }));
      if (!answerInvite) return;
      void st.respond(makeResponse(rq, 200, undefined, { toTag, headers: { contact: [{ uri: uriOf(stack, protocol), params: {} }] } }));
      return;
    }
    void st.respond(makeResponse(rq, 200, undefined, { toTag }));
  });
  return { stack, clock, got };
}

describe('two stacks', () => {
  it.each(['UDP', 'TCP'] as const)('exchange OPTIONS over %s', async (protocol) => {
    const uas = await startUas(protocol);
    const { stack: uac } = await startStack();
    const seen: number[] = [];
    const rs = await uac.send(newRequest('OPTIONS', uriOf(uas.stack, protocol)), { onResponse: (r) => seen.push(r.status) }).final;
    expect(rs.status).toBe(200);
    expect(seen).toEqual([200]);
    expect(uas.got.requests).toHaveLength(1);
    expect(uas.got.requests[0]!.headers.via![0]!.protocol).toBe(protocol);
  });

  it.each(['UDP', 'TCP'] as const)('run a call over %s: INVITE, 180, 200, ACK, BYE', async (protocol) => {
    const uas = await startUas(protocol);
    const { stack: uac } = await startStack();
    const invite = newRequest('INVITE', uriOf(uas.stack, protocol));
    const seen: number[] = [];
    const ok = await uac.send(invite, { onResponse: (r) => seen.push(r.status) }).final;
    expect(ok.status).toBe(200);
    expect(seen.filter((s) => s !== 100).slice(0, 2)).toEqual([180, 200]);
    await uac.sendAck(inDialog('ACK', invite, ok, 1));
    await until(() => uas.got.acks.length === 1, 5000, 'the ACK');
    expect(uas.got.acks[0]!.headers.cseq).toEqual({ seq: 1, method: 'ACK' });
    const bye = await uac.send(inDialog('BYE', invite, ok, 2)).final;
    expect(bye.status).toBe(200);
    expect(uas.got.requests.map((r) => r.method)).toEqual(['INVITE', 'BYE']);
  });

  it('cancel an INVITE through an AbortSignal: CANCEL, 200, 487 (RFC 3261 §9)', async () => {
    const uas = await startUas('UDP', false);
    // A short T1 bounds the test if the 487 never came (§9.1: the UAC gives up 64·T1 after the CANCEL).
    const { stack: uac } = await startStack({ timers: { T1: 50 } });
    const abort = new AbortController();
    const seen: number[] = [];
    const handle = uac.send(newRequest('INVITE', uriOf(uas.stack, 'UDP')), {
      signal: abort.signal,
      onResponse: (r) => {
        seen.push(r.status);
        if (r.status === 180) abort.abort();
      },
    });
    const rs = await handle.final;
    expect(rs.status).toBe(487);
    expect(rs.headers.to?.params.tag).toBeDefined(); // the UAS's 487, not one synthesized by the UAC
    expect(seen).toContain(180);
    expect(uas.got.cancels).toHaveLength(1);
    expect(uas.got.sts[0]!.cancelled).toBe(true);
    // the UAC's INVITE transaction ACKs the 487: the UAS transaction reaches Confirmed
    await until(() => uas.got.sts[0]!.state === 'confirmed' || uas.got.sts[0]!.state === 'terminated', 5000, 'the ACK of the 487');
  });

  it('do not send a request whose signal is already aborted', async () => {
    const uas = await startUas();
    const { stack: uac } = await startStack();
    const rs = await uac.send(newRequest('INVITE', uriOf(uas.stack, 'UDP')), { signal: AbortSignal.abort() }).final;
    expect(`${String(rs.status)} ${String(rs.reason)}`).toBe('487 Request Terminated');
    expect(uas.got.requests).toHaveLength(0);
  });

  it('get a 500 when the handler throws, and the stack keeps serving', async () => {
    const { stack: uas } = await startStack();
    let n = 0;
    uas.setRequestHandler((rq, st) => {
      if (++n === 1) throw new Error('handler bug');
      void st.respond(makeResponse(rq, 200, undefined, { toTag: 'x' }));
    });
    const { stack: uac } = await startStack();
    expect((await uac.send(newRequest('OPTIONS', uriOf(uas, 'UDP'))).final).status).toBe(500);
    expect((await uac.send(newRequest('OPTIONS', uriOf(uas, 'UDP'))).final).status).toBe(200);
  });

  it('answer through stack.respond(), which finds the server transaction (the classic send(response))', async () => {
    const { stack: uas } = await startStack();
    uas.setRequestHandler((rq) => void uas.respond(makeResponse(rq, 202, undefined, { toTag: 'r' })));
    const { stack: uac } = await startStack();
    expect((await uac.send(newRequest('OPTIONS', uriOf(uas, 'UDP'))).final).status).toBe(202);
  });

  it('answer 503 while no handler is set', async () => {
    const { stack: uas } = await startStack();
    const { stack: uac } = await startStack();
    expect((await uac.send(newRequest('OPTIONS', uriOf(uas, 'UDP'))).final).status).toBe(503);
  });
});

describe('targets, failover and synthesized responses', () => {
  it('fails over from a refused TCP target to the next one', async () => {
    const uas = await startUas();
    const closed = await closedTcpPort();
    const asked: string[] = [];
    const { stack: uac } = await startStack({
      resolver: (uri) => {
        asked.push(uri);
        return Promise.resolve([{ protocol: 'TCP', address: '127.0.0.1', port: closed }, targetOf(uas.stack, 'UDP')]);
      },
    });
    const rs = await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid')).final;
    expect(rs.status).toBe(200);
    expect(asked).toEqual(['sip:bob@example.invalid']);
  });

  it('synthesizes 503 when every target refuses', async () => {
    const closed = await closedTcpPort();
    const { stack: uac } = await startStack();
    const seen: SipResponse[] = [];
    const rs = await uac.send(newRequest('OPTIONS', `sip:bob@127.0.0.1:${String(closed)};transport=tcp`), { onResponse: (r) => seen.push(r) }).final;
    expect(`${String(rs.status)} ${String(rs.reason)}`).toBe('503 Service Unavailable');
    expect(seen).toEqual([rs]);
  });

  it('synthesizes 408 when nobody answers (Timer F, short T1)', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const { stack: uac } = await startStack({ timers: { T1: 10, T2: 40 } });
      let received = 0;
      silent.on('message', () => received++);
      const rs = await uac.send(newRequest('OPTIONS', `sip:bob@127.0.0.1:${String(silent.address().port)}`)).final;
      expect(`${String(rs.status)} ${String(rs.reason)}`).toBe('408 Request Timeout');
      expect(received).toBeGreaterThan(1); // retransmitted over UDP
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('synthesizes 503 when the next hop resolves to nothing', async () => {
    const { stack: uac } = await startStack({ resolver: () => Promise.resolve([]) });
    expect((await uac.send(newRequest('OPTIONS', 'sip:bob@nowhere.invalid')).final).status).toBe(503);
  });

  it('sends to the first Route when it is a loose router, else to the Request-URI (§8.1.2)', async () => {
    const uas = await startUas();
    const asked: string[] = [];
    const { stack: uac } = await startStack({
      resolver: (uri) => {
        asked.push(uri);
        return Promise.resolve([targetOf(uas.stack, 'UDP')]);
      },
    });
    const loose = newRequest('OPTIONS', 'sip:bob@example.invalid');
    loose.headers.route = [{ uri: 'sip:proxy.example.invalid;lr', params: {} }];
    const strict = newRequest('OPTIONS', 'sip:bob@example.invalid');
    strict.headers.route = [{ uri: 'sip:strict.example.invalid', params: {} }];
    expect(nextHop(loose)).toBe('sip:proxy.example.invalid;lr');
    expect(nextHop(strict)).toBe('sip:bob@example.invalid');
    expect((await uac.send(loose).final).status).toBe(200);
    expect((await uac.send(strict).final).status).toBe(200);
    expect(asked).toEqual(['sip:proxy.example.invalid;lr', 'sip:bob@example.invalid']);
  });

  it('uses an explicit target without resolving', async () => {
    const uas = await startUas();
    const { stack: uac } = await startStack({ resolver: () => Promise.reject(new Error('must not resolve')) });
    const target: Target = targetOf(uas.stack, 'TCP');
    expect((await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { target }).final).status).toBe(200);
  });

  it('refuses to send an ACK through send()', async () => {
    const { stack } = await startStack();
    expect(() => stack.send(newRequest('ACK', 'sip:bob@127.0.0.1'))).toThrow(/sendAck/);
  });
});

describe('life cycle', () => {
  it('runs three stacks side by side, and one stopping leaves the others working', async () => {
    const stacks = await Promise.all([startUas(), startUas(), startUas()]);
    const results = await Promise.all(
      stacks.map((from, i) => from.stack.send(newRequest('OPTIONS', uriOf(stacks[(i + 1) % 3]!.stack, i === 1 ? 'TCP' : 'UDP'))).final),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(stacks.map((s) => s.got.requests.length)).toEqual([1, 1, 1]);
    expect(new Set(stacks.map((s) => portOf(s.stack, 'UDP'))).size).toBe(3);
    await stacks[2].stack.stop();
    expect(stacks[2].stack.transactions).toBe(0);
    expect((await stacks[0].stack.send(newRequest('OPTIONS', uriOf(stacks[1].stack, 'UDP'))).final).status).toBe(200);
    expect((await stacks[2].stack.send(newRequest('OPTIONS', uriOf(stacks[1].stack, 'UDP'))).final).status).toBe(503);
  });

  it('stop() ends live transactions on both sides and settles pending requests', async () => {
    // A UAS that never answers (no 100 Trying either): the UAC stays in Calling with Timers A and B.
    const { stack: uas, clock: uasClock } = await startStack({ trying100: false });
    const invites: SipRequest[] = [];
    uas.setRequestHandler((rq) => invites.push(rq));
    const { stack: uac, clock } = await startStack();
    const handle = uac.send(newRequest('INVITE', uriOf(uas, 'UDP')));
    await until(() => invites.length === 1 && uac.transactions === 1, 5000, 'the INVITE');
    expect(uas.transactions).toBe(1);
    expect(clock.pending).toBe(2); // Timers A and B
    await uac.stop();
    expect((await handle.final).status).toBe(503);
    expect(uac.transactions).toBe(0);
    expect(clock.pending).toBe(0);
    await uas.stop();
    expect(uas.transactions).toBe(0);
    expect(uasClock.pending).toBe(0);
  });

  it('settles a request still being resolved when the stack stops', async () => {
    let release!: (t: Target[]) => void;
    const { stack } = await startStack({ resolver: () => new Promise<Target[]>((r) => (release = r)) });
    const handle = stack.send(newRequest('OPTIONS', 'sip:bob@slow.invalid'));
    await stack.stop();
    expect((await handle.final).status).toBe(503);
    release([{ protocol: 'UDP', address: '127.0.0.1', port: 9 }]);
    expect(stack.transactions).toBe(0);
  });

  it('answers requests after stop() with 503 without sending', async () => {
    const { stack } = await startStack();
    await stack.stop();
    expect((await stack.send(newRequest('OPTIONS', 'sip:bob@127.0.0.1')).final).status).toBe(503);
  });
});

/** A TCP port nothing listens on (bound, then closed). */
async function closedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
