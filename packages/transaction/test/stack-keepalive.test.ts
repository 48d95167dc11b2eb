/**
 * RFC 5626 keep-alives through `createStack`, on real loopback sockets with the client's timers on
 * a fake clock: an outbound REGISTER's 2xx starts them at Flow-Timer (CRLF on TCP, STUN on UDP),
 * the server's stack answers them, and a missed pong or a connection the server closes is reported
 * through `onFlowFailed`.
 */
import { createServer, type Socket } from 'node:net';
import { makeResponse, type SipRequest } from '@sipts/message';
import { generateTag, type FlowFailureReason, type Remote } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../src/fake-clock.js';
import type { Stack } from '../src/node/index.js';
import { newRequest, portOf, startStack, stopAll, uriOf } from './stack-helpers.js';

afterEach(stopAll);

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A registrar stack answering REGISTER 200 with `Require: outbound` and `Flow-Timer: seconds`. */
async function registrar(flowTimer: number): Promise<Stack> {
  const { stack } = await startStack();
  stack.setRequestHandler((rq, st) => {
    const rs = makeResponse(rq, 200, undefined, { toTag: generateTag() });
    rs.headers.require = 'outbound';
    rs.headers['flow-timer'] = String(flowTimer);
    void st.respond(rs);
  });
  return stack;
}

function register(uri: string): SipRequest {
  const rq = newRequest('REGISTER', uri);
  rq.headers.contact = [{ uri: 'sip:alice@127.0.0.1', params: { 'reg-id': '1', '+sip.instance': '"<urn:uuid:00000000-0000-4000-8000-000000000001>"' } }];
  rq.headers.supported = 'outbound';
  return rq;
}

async function client(failures: { remote: Remote; reason: FlowFailureReason }[]) {
  const clock = createFakeClock();
  const { stack } = await startStack({ clock, keepAlive: { random: () => 0 }, onFlowFailed: (remote, reason) => failures.push({ remote, reason }) });
  return { stack, clock };
}

describe('keep-alives on an outbound registration', () => {
  it('TCP: CRLF pings at 80–100 % of Flow-Timer after the 2xx, each answered by the server', async () => {
    const server = await registrar(30);
    const failures: { remote: Remote; reason: FlowFailureReason }[] = [];
    const { stack, clock } = await client(failures);
    const rs = await stack.send(register(uriOf(server, 'TCP'))).final;
    expect(rs.status).toBe(200);
    clock.advance(23_999);
    expect(stack.transport.stats.keepAlivesSent).toBe(0);
    clock.advance(1);
    const flow = { protocol: 'TCP' as const, address: '127.0.0.1', port: portOf(server, 'TCP') };
    await until(() => server.transport.stats.keepAlivesAnswered === 1, 'the first pong');
    // The pong must have reached the client before its clock moves on: otherwise the 10-s pong wait
    // armed with the ping expires inside the next advance, and the flow fails on a loaded machine.
    await until(() => stack.transport.keepAlive(flow)?.answered === 1, 'the first pong at the client');
    clock.advance(24_000);
    await until(() => server.transport.stats.keepAlivesAnswered === 2, 'the second pong');
    await until(() => stack.transport.keepAlive(flow)?.answered === 2, 'the second pong at the client');
    expect(stack.transport.stats.keepAlivesSent).toBe(2);
    expect(failures).toEqual([]);
  });

  it('UDP: STUN Binding requests at Flow-Timer, answered on the server\'s SIP port', async () => {
    const server = await registrar(20);
    const failures: { remote: Remote; reason: FlowFailureReason }[] = [];
    const { stack, clock } = await client(failures);
    expect((await stack.send(register(uriOf(server, 'UDP'))).final).status).toBe(200);
    clock.advance(16_000);
    await until(() => stack.transport.stats.stunResponsesReceived === 1, 'the STUN answer');
    expect(server.transport.stats).toMatchObject({ stunRequestsAnswered: 1, dropped: 0, badRequestsAnswered: 0 });
    expect(stack.transport.keepAlive({ protocol: 'UDP', address: '127.0.0.1', port: portOf(server, 'UDP') })?.mapped).toEqual({ address: '127.0.0.1', port: portOf(stack, 'UDP') });
    expect(failures).toEqual([]);
  });

  it('no keep-alives for a plain (non-outbound) registration', async () => {
    const { stack: server } = await startStack();
    server.setRequestHandler((rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() })));
    const { stack, clock } = await client([]);
    expect((await stack.send(newRequest('REGISTER', uriOf(server, 'UDP'))).final).status).toBe(200);
    clock.advance(200_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(stack.transport.stats.keepAlivesSent).toBe(0);
    expect(server.transport.stats.stunRequestsAnswered).toBe(0);
  });
});

describe('flow failure (RFC 5626 §4.4.1, §4.2)', () => {
  it('a ping without a pong for 10 s fails the flow (no-pong) and closes the connection', async () => {
    // A registrar that answers REGISTER but never pongs.
    const sockets: Socket[] = [];
    const raw = createServer((s) => {
      sockets.push(s);
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0 || !buf.startsWith('REGISTER')) return;
        const head = buf.slice(0, end).split('\r\n');
        buf = '';
        const keep = head.filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
        s.write(['SIP/2.0 200 OK', ...keep.map((l) => (/^to:/i.test(l) ? `${l};tag=raw` : l)), 'Require: outbound', 'Flow-Timer: 10', 'Content-Length: 0', '', ''].join('\r\n'));
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const port = (raw.address() as { port: number }).port;
    try {
      const failures: { remote: Remote; reason: FlowFailureReason }[] = [];
      const { stack, clock } = await client(failures);
      expect((await stack.send(register(`sip:registrar@127.0.0.1:${String(port)};transport=tcp`)).final).status).toBe(200);
      const closedAt = new Promise<void>((r) => sockets[0]?.once('close', () => r()));
      clock.advance(8_000); // the ping
      await until(() => stack.transport.stats.keepAlivesSent === 1, 'the ping');
      clock.advance(9_999);
      expect(failures).toEqual([]);
      clock.advance(1);
      expect(failures.map((f) => f.reason)).toEqual(['no-pong']);
      expect(failures[0]?.remote).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port });
      await closedAt; // our side closed the failed flow
      expect(stack.transport.stats.connectionsClosed).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });

  it('the server closing the connection fails the flow (connection-closed), once', async () => {
    const server = await registrar(60);
    const failures: { remote: Remote; reason: FlowFailureReason }[] = [];
    const { stack } = await client(failures);
    expect((await stack.send(register(uriOf(server, 'TCP'))).final).status).toBe(200);
    await server.stop();
    await until(() => failures.length === 1, 'the failure');
    expect(failures.map((f) => f.reason)).toEqual(['connection-closed']);
    await new Promise((r) => setTimeout(r, 20));
    expect(failures).toHaveLength(1);
  });
});
