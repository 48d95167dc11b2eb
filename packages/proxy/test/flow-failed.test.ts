/**
 * RFC 5626 §5.3 in the proxy core: a branch sent to a flow that is closing or gone ends with 430
 * Flow Failed, whether the stack's send failed asynchronously (the transport's `flow-failed`
 * error, here over a real WebSocket whose peer started the closing handshake) or threw; other
 * send failures keep the 500 that RFC 3261 §16.7 item 6 makes of a 503.
 * @see RFC 5626 §5.3, RFC 3261 §16.7
 */
import { randomBytes } from 'node:crypto';
import { makeResponse, type SipRequest } from '@sipts/message';
import { flowFailed, generateTag, type Remote, type Target } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, type ProxyStack } from '../src/index.js';
import { drainAndStop, newRequest, startProxy, startStack, until } from './helpers.js';
import { rawWsPeer, type RawWsPeer } from '@sipts/test-peers';

afterEach(async () => {
  await drainAndStop();
});

function registerText(port: number): string {
  return (
    `REGISTER sip:127.0.0.1:${String(port)} SIP/2.0\r\n` +
    `Via: SIP/2.0/WS ua.invalid;branch=z9hG4bK${randomBytes(8).toString('hex')}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:ua@127.0.0.1>;tag=ua1\r\nTo: <sip:ua@127.0.0.1>\r\n' +
    `Call-ID: ${randomBytes(8).toString('hex')}@ua.invalid\r\nCSeq: 1 REGISTER\r\n` +
    'Contact: <sip:ua@ua.invalid;transport=ws>\r\nContent-Length: 0\r\n\r\n'
  );
}

describe('a branch to a failed flow (RFC 5626 §5.3)', () => {
  it('a WebSocket flow whose peer is closing it: the UAC gets 430 Flow Failed, not 500', async () => {
    let flow: Target | undefined;
    const p = await startProxy({ udp: false, ws: { port: 0 } }, (proxy, rq, remote: Remote) => {
      if (rq.method === 'REGISTER') {
        flow = { protocol: remote.protocol, address: remote.address, port: remote.port, flowId: remote.flowId! };
        proxy.send(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
        return;
      }
      if (rq.method === 'INVITE' && flow !== undefined) proxy.send(rq, { target: flow });
    });
    const wsPort = p.stack.transport.listening.find((l) => l.protocol === 'WS')!.port;
    let ua: RawWsPeer | undefined;
    try {
      ua = await rawWsPeer(wsPort);
      ua.sendText(registerText(wsPort));
      await until(() => ua!.opcodes().includes(1), 5000, 'the 200 to the REGISTER');
      // The UA starts the closing handshake; the proxy's close frame comes back and its side of
      // the flow is CLOSING, still known to the transport.
      ua.sendClose();
      await until(() => ua!.opcodes().includes(8), 5000, 'the proxy’s close frame');
      expect(p.stack.transport.hasFlow(flow!.flowId!)).toBe(true);
      const uac = await startStack({ udp: false });
      const rs = await uac.send(newRequest('INVITE', 'sip:ua@ua.invalid;transport=ws', p.stack, 'TCP')).final;
      expect(`${String(rs.status)} ${String(rs.reason)}`).toBe('430 Flow Failed');
      expect(rs.headers.via).toHaveLength(1);
    } finally {
      ua?.socket.destroy();
    }
  });

  it('a send that throws: 430 for a flow-failed error, 500 for any other', async () => {
    const stack = await startStack({ udp: false });
    let error: Error = flowFailed('WS/1/127.0.0.1/1');
    const throwing: ProxyStack = {
      send: () => {
        throw error;
      },
      sendAck: (rq, o) => stack.sendAck(rq, o),
      setRequestHandler: (h) => {
        stack.setRequestHandler(h);
      },
      sendStateless: (rs, remote) => stack.sendStateless(rs, remote),
      respond: (rs) => stack.respond(rs),
      transport: stack.transport,
    };
    const proxy = createProxy(throwing, {}, (rq: SipRequest) => {
      proxy.send(rq, { target: { protocol: 'WS', address: '127.0.0.1', port: 1, flowId: 'WS/1/127.0.0.1/1' } });
    });
    const uac = await startStack({ udp: false });
    try {
      const first = await uac.send(newRequest('INVITE', 'sip:ua@ua.invalid;transport=ws', stack, 'TCP')).final;
      expect(`${String(first.status)} ${String(first.reason)}`).toBe('430 Flow Failed');
      error = new Error('some other failure');
      const second = await uac.send(newRequest('INVITE', 'sip:ua@ua.invalid;transport=ws', stack, 'TCP')).final;
      expect(second.status).toBe(500);
      await until(() => proxy.contexts === 0, 3000, 'no context');
    } finally {
      proxy.stop();
    }
  });
});
