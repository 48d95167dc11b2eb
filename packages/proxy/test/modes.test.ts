/**
 * The stateless mode (RFC 3261 §16.11), the classic module API (start/send/stop and the default
 * callback), and a bounded soak: 200 calls in sequence leave no context.
 */
import { createSocket } from 'node:dgram';
import { makeResponse } from '@sipts/message';
import { createDefaultClock } from '@sipts/transaction';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import * as classic from '../src/node/index.js';
import { drainAndStop, inDialog, newRequest, router, startProxy, startStack, startUas, until, uriOf } from './helpers.js';

afterEach(async () => {
  await classic.stop();
  await drainAndStop();
});

describe('stateless mode', () => {
  it('forwards OPTIONS and its response with no context or transaction at the proxy', async () => {
    const uas = await startUas();
    const p = await startProxy({ stateless: true }, router(() => [uriOf(uas.stack)]));
    const uac = await startStack();
    const rq = newRequest('OPTIONS', 'sip:bob@example.invalid', p.stack);
    const rs = await uac.send(rq).final;
    expect(rs.status).toBe(200);
    expect(rs.headers.via).toHaveLength(1);
    expect(p.proxy.contexts).toBe(0);
    expect(p.stack.transactions).toBe(0);
    // The branch is deterministic: a second forward of the same request gets the same branch.
    const branch = uas.log.requests[0]!.headers.via![0]!.params.branch;
    expect(typeof branch).toBe('string');
    expect(String(branch)).toMatch(/^z9hG4bK[0-9a-f]{16}\.[0-9a-f]{16}$/);
  });
});

describe('the classic API', () => {
  it('start, send (request and response), the default callback, and stop', async () => {
    const uas = await startUas();
    const clock = createDefaultClock();
    const port = await freeUdpPort();
    await classic.start({ address: '127.0.0.1', udp: { port }, tcp: false, timers: { T1: 50, T2: 400, T4: 500 }, clock }, (rq) => {
      if (rq.method === 'OPTIONS') {
        classic.send(makeResponse(rq, 404, 'Not Found', { toTag: generateTag() }));
        return;
      }
      rq.uri = uriOf(uas.stack);
      classic.send(rq); // the default callback: strip the top Via, send the response upstream
    });
    await expect(classic.start({}, () => undefined)).rejects.toThrow(/already started/);
    const uac = await startStack();
    const probe = newRequest('OPTIONS', `sip:x@127.0.0.1:${String(port)}`);
    expect((await uac.send(probe).final).status).toBe(404);
    const invite = newRequest('INVITE', `sip:bob@127.0.0.1:${String(port)}`);
    const ok = await uac.send(invite).final;
    expect(ok.status).toBe(200);
    await uac.sendAck(inDialog('ACK', invite, ok, 1));
    await until(() => uas.log.acks.length === 1, 3000, 'the ACK');
    await until(() => classic.contexts() === 0, 3000, 'no context');
    await classic.stop();
    expect(clock.pending).toBe(0);
    expect(() => classic.send(probe)).toThrow(/not started/);
  });
});

/** A UDP port that was free a moment ago. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

describe('soak (bounded)', () => {
  it('200 calls in sequence through the proxy leave zero contexts', async () => {
    const uas = await startUas();
    const p = await startProxy({ recordRoute: true }, router(() => [uriOf(uas.stack)]));
    const uac = await startStack();
    let max = 0;
    for (let i = 0; i < 200; i++) {
      const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack);
      const ok = await uac.send(invite).final;
      expect(ok.status).toBe(200);
      await uac.sendAck(inDialog('ACK', invite, ok, 1));
      const bye = await uac.send(inDialog('BYE', invite, ok, 2)).final;
      expect(bye.status).toBe(200);
      max = Math.max(max, p.proxy.contexts);
    }
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
    expect(max).toBeLessThanOrEqual(2);
  }, 60_000);
});
