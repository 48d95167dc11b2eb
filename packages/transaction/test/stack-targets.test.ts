/**
 * `Stack.send` with a list of targets: the application's own failover list (e.g. resolved by the
 * classic facade, or a fork's fixed destinations) is tried in order without asking the resolver.
 */
import { createServer } from 'node:net';
import { makeResponse, type SipRequest } from '@sipts/message';
import { generateTag, type Target } from '@sipts/transport';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { afterEach, describe, expect, it } from 'vitest';
import { newRequest, startStack, stopAll, targetOf, until } from './stack-helpers.js';

afterEach(stopAll);

/** A TCP port on 127.0.0.1 that refuses connections. */
async function closedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startUas(): Promise<{ target: Target; seen: () => number }> {
  const { stack } = await startStack();
  let n = 0;
  stack.setRequestHandler((rq, st) => {
    n++;
    void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
  });
  return { target: targetOf(stack, 'UDP'), seen: () => n };
}

const noResolver = (): Promise<Target[]> => Promise.reject(new Error('must not resolve'));

describe('Stack.send targets', () => {
  it('tries the given targets in order, failing over from a refused one, without resolving', async () => {
    const uas = await startUas();
    const closed = await closedTcpPort();
    const { stack: uac } = await startStack({ resolver: noResolver });
    const targets: Target[] = [{ protocol: 'TCP', address: '127.0.0.1', port: closed }, uas.target];
    const rs = await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { targets }).final;
    expect(rs.status).toBe(200);
    expect(uas.seen()).toBe(1);
  });

  it('answers 503 for an empty list instead of resolving', async () => {
    const { stack: uac } = await startStack({ resolver: noResolver });
    const rs = await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { targets: [] }).final;
    expect(rs.status).toBe(503);
  });

  it('prefers targets over target', async () => {
    const uas = await startUas();
    const closed = await closedTcpPort();
    const { stack: uac } = await startStack({ resolver: noResolver });
    const rs = await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { target: { protocol: 'TCP', address: '127.0.0.1', port: closed }, targets: [uas.target] }).final;
    expect(rs.status).toBe(200);
  });

  it('does not keep the caller’s array (a later change does not redirect a failover)', async () => {
    const uas = await startUas();
    const closed = await closedTcpPort();
    const { stack: uac } = await startStack({ resolver: noResolver });
    const targets: Target[] = [{ protocol: 'TCP', address: '127.0.0.1', port: closed }, uas.target];
    const pending = uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { targets }).final;
    targets.length = 0;
    expect((await pending).status).toBe(200);
  });

  it('sends an ACK to the first of the given targets', async () => {
    const got: string[] = [];
    const { stack: uas } = await startStack({ onAck: (ack) => got.push(ack.method) });
    const { stack: uac } = await startStack({ resolver: noResolver });
    await uac.sendAck(newRequest('ACK', 'sip:bob@example.invalid'), { targets: [targetOf(uas, 'UDP')] });
    await until(() => got.length > 0, 5000, 'the ACK');
    expect(got).toEqual(['ACK']);
  });
});

describe('Stack.serverTransactionOf', () => {
  it('finds the live server transaction of a response and of its request; none once it ended', async () => {
    const { stack: uas } = await startStack();
    const seen: { rq: SipRequest; st: ServerTransactionHandle; byResponse: unknown; byRequest: unknown }[] = [];
    uas.setRequestHandler((rq, st) => {
      seen.push({ rq, st, byResponse: uas.serverTransactionOf(makeResponse(rq, 200)), byRequest: uas.serverTransactionOf(rq) });
      void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
    });
    const { stack: uac } = await startStack({ resolver: noResolver });
    expect((await uac.send(newRequest('OPTIONS', 'sip:bob@example.invalid'), { target: targetOf(uas, 'UDP') }).final).status).toBe(200);
    const [first] = seen;
    expect(first?.byResponse).toBe(first?.st);
    expect(first?.byRequest).toBe(first?.st);
    first?.st.terminate();
    expect(uas.serverTransactionOf(makeResponse(first?.rq as SipRequest, 200))).toBeUndefined();
  });

  it('finds none for an RFC 2543 request (no magic cookie in the branch)', async () => {
    const { stack } = await startStack();
    const rq = newRequest('OPTIONS', 'sip:bob@127.0.0.1');
    rq.headers.via = [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: 'old-style' } }];
    expect(stack.serverTransactionOf(makeResponse(rq, 200))).toBeUndefined();
  });
});
