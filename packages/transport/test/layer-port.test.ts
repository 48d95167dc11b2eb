/**
 * The transport layer's {@link TransportPort}: a UDP send goes out before the call returns, with
 * no Promise; a failure that is known at once is the returned SipError; a prepared response is
 * serialized once and re-sent byte for byte; a send over a connection is `'pending'` and tells its
 * listener where it went.
 */
import { Socket } from 'node:dgram';
import { makeResponse, SipError, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Remote, SendListener } from '../src/index.js';
import { cleanup, portOf, request, requestText, startLayer, tcpServer, udpPeer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

/** A listener that records what it is told. */
function recorder(): SendListener & { errors: SipError[]; sent: Remote[] } {
  const errors: SipError[] = [];
  const sent: Remote[] = [];
  return {
    errors,
    sent,
    onSendError: (e) => errors.push(e),
    onSent: (r) => sent.push(r),
  };
}

describe('TransportLayer.port', () => {
  it('sends a UDP request before returning: outcome sent, Via stamped, counted, listener untouched', async () => {
    const { layer } = await startLayer({ tcp: false });
    const peer = await udpPeer();
    const rq = request(`sip:bob@127.0.0.1:${String(peer.port)}`);
    const l = recorder();
    const outcome = layer.port.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: peer.port }, l);
    expect(outcome).toBe('sent');
    expect(layer.stats.messagesSent).toBe(1);
    const via = rq.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'UDP', host: '127.0.0.1', port: portOf(layer, 'UDP') });
    expect(via.params.branch).toMatch(/^z9hG4bK/);
    const got = await peer.next();
    expect(got.text).toContain(`Via: SIP/2.0/UDP 127.0.0.1:${String(portOf(layer, 'UDP'))};`);
    expect(l.errors).toHaveLength(0);
    expect(l.sent).toHaveLength(0);
  });

  it('returns the SipError of a UDP send that cannot go (an IPv6 target, an IPv4 socket): counted, no throw', async () => {
    const { layer } = await startLayer({ tcp: false });
    const l = recorder();
    const outcome = layer.port.sendRequest(request('sip:bob@[::1]'), { protocol: 'UDP', address: '::1', port: 5999 }, l);
    expect(outcome).toBeInstanceOf(SipError);
    expect((outcome as SipError).status).toBe(503);
    expect(l.errors).toHaveLength(0);
    expect(layer.stats.sendErrors).toBe(1);
  });

  it('returns a too-large UDP response as a SipError at once', async () => {
    const { layer } = await startLayer({ tcp: false, limits: { maxDatagramBytes: 600 } });
    const peer = await udpPeer();
    const rq = request('sip:bob@127.0.0.1', `Via: SIP/2.0/UDP 127.0.0.1:${String(peer.port)};branch=z9hG4bKbig\r\n`);
    const rs = makeResponse(rq, 200, undefined, { toTag: 't', headers: { subject: 'x'.repeat(800) } });
    const prepared = layer.port.prepareResponse(rs);
    const outcome = layer.port.sendResponse(prepared, recorder());
    expect(outcome).toBeInstanceOf(SipError);
    expect((outcome as SipError).status).toBe(503);
    expect(layer.stats.sendErrors).toBe(1);
  });

  it('serializes a response once and re-sends the same bytes to the same place', async () => {
    let prepared: ReturnType<typeof layer.port.prepareResponse> | undefined;
    const { layer } = await startLayer({ tcp: false }, (l, rq, remote) => {
      prepared = l.port.prepareResponse(makeResponse(rq, 200, undefined, { toTag: 'once' }), remote);
      expect(l.port.sendResponse(prepared)).toBe('sent');
    });
    const peer = await udpPeer();
    await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKonce` }), portOf(layer, 'UDP'));
    const first = await peer.next();
    expect((first.message as SipResponse).status).toBe(200);
    expect(prepared?.to).toMatchObject({ protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    expect(layer.port.sendResponse(prepared!)).toBe('sent');
    const again = await peer.next();
    expect(again.text).toBe(first.text);
    expect(layer.stats.messagesSent).toBe(2);
  });

  it('sends a UDP response with no completion callback (no event-loop tick per response), a request with one', async () => {
    const send = vi.spyOn(Socket.prototype, 'send');
    try {
      const { layer } = await startLayer({ tcp: false }, (l, rq, remote) => {
        expect(l.port.sendResponse(l.port.prepareResponse(makeResponse(rq, 200, undefined, { toTag: 'cb' }), remote))).toBe('sent');
      });
      const peer = await udpPeer();
      await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKcb` }), portOf(layer, 'UDP'));
      expect(((await peer.next()).message as SipResponse).status).toBe(200);
      const ours = send.mock.calls.filter((c) => c[1] === peer.port);
      expect(ours).toHaveLength(1);
      expect(ours[0]!.some((a) => typeof a === 'function')).toBe(false);
      send.mockClear();
      expect(layer.port.sendRequest(request(`sip:bob@127.0.0.1:${String(peer.port)}`), { protocol: 'UDP', address: '127.0.0.1', port: peer.port })).toBe('sent');
      await peer.next();
      const request1 = send.mock.calls.filter((c) => c[1] === peer.port);
      expect(request1).toHaveLength(1);
      expect(typeof request1[0]!.at(-1)).toBe('function');
    } finally {
      send.mockRestore();
    }
  });

  it('a request over TCP is pending and the listener hears where it went (its flow)', async () => {
    const { layer } = await startLayer({ udp: false, tcp: { address: '127.0.0.1', port: 0 } });
    const server = await tcpServer();
    const l = recorder();
    const outcome = layer.port.sendRequest(request(`sip:bob@127.0.0.1:${String(server.port)};transport=tcp`), { protocol: 'TCP', address: '127.0.0.1', port: server.port }, l);
    expect(outcome).toBe('pending');
    await waitFor(() => l.sent.length === 1);
    expect(l.sent[0]).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: server.port });
    expect(l.sent[0]!.flowId).toBeDefined();
    await waitFor(() => server.peers[0]?.messages.length === 1);
    expect(layer.stats.messagesSent).toBe(1);
  });

  it('a request to a TCP port nobody listens on: pending, then the listener gets a 503', async () => {
    const { layer } = await startLayer({ udp: false, tcp: { address: '127.0.0.1', port: 0 } });
    const closed = await tcpServer();
    await new Promise<void>((r) => closed.server.close(() => r()));
    const l = recorder();
    expect(layer.port.sendRequest(request('sip:bob@127.0.0.1;transport=tcp'), { protocol: 'TCP', address: '127.0.0.1', port: closed.port }, l)).toBe('pending');
    await waitFor(() => l.errors.length === 1);
    expect(l.errors[0]!.status).toBe(503);
    expect(l.sent).toHaveLength(0);
    expect(layer.stats.sendErrors).toBe(1);
  });
});
