/**
 * The transport layer over IPv6 loopback (::1) and dual stack (::): bracketed Via sent-by,
 * received without brackets, responses routed back (RFC 5118).
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, portOf, request, requestText, startLayer, tcpClient, udpPeer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

function echo200(options: Parameters<typeof startLayer>[0]) {
  return startLayer(options, (layer, rq, remote) => {
    void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'v6' }), remote);
  });
}

describe('IPv6', () => {
  it('UDP on ::1: rport and received, the response back to the source', async () => {
    const { layer, got } = await echo200({ address: '::1' });
    expect(layer.listening.find((l) => l.protocol === 'UDP')).toMatchObject({ address: '::1' });
    const peer = await udpPeer('::1');
    await peer.send(requestText({ via: 'SIP/2.0/UDP [::1]:5999;rport;branch=z9hG4bK6a', uri: 'sip:bob@[::1]' }), portOf(layer, 'UDP'));
    const rs = (await peer.next()).message as SipResponse;
    expect(rs.status).toBe(200);
    expect(rs.headers.via![0]!.params).toMatchObject({ received: '::1', rport: String(peer.port) });
    expect(got.requests[0]!.remote).toMatchObject({ protocol: 'UDP', address: '::1', port: peer.port });
  });

  it('UDP on ::1: an outgoing request has a bracketed sent-by', async () => {
    const { layer } = await startLayer({ address: '::1', tcp: false });
    const peer = await udpPeer('::1');
    await layer.sendRequest(request(`sip:bob@[::1]:${String(peer.port)}`), { protocol: 'UDP', address: '::1', port: peer.port });
    const arrived = await peer.next();
    expect(arrived.text).toContain(`Via: SIP/2.0/UDP [::1]:${String(portOf(layer, 'UDP'))};`);
    expect(arrived.message.headers.via![0]!.host).toBe('[::1]');
  });

  it('UDP on ::1: an IPv4 target has no socket and rejects with 503', async () => {
    const { layer } = await startLayer({ address: '::1', tcp: false });
    await expect(layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'UDP', address: '127.0.0.1', port: 5060 })).rejects.toMatchObject({ code: 'send-failed', status: 503 });
  });

  it('TCP on ::1: request, response, and a request back over the connection', async () => {
    const { layer, got } = await echo200({ address: '::1', udp: false });
    const client = await tcpClient(portOf(layer, 'TCP'), '::1');
    client.send(requestText({ via: 'SIP/2.0/TCP [::1]:5999;branch=z9hG4bK6t', uri: 'sip:bob@[::1]' }));
    expect(((await client.next()) as SipResponse).status).toBe(200);
    const remote = got.requests[0]!.remote;
    expect(remote).toMatchObject({ protocol: 'TCP', address: '::1' });
    await layer.sendRequest(request('sip:alice@[::1]'), { protocol: 'TCP', address: '::1', port: remote.port });
    const back = (await client.next()) as SipRequest;
    expect(back.headers.via![0]).toMatchObject({ protocol: 'TCP', host: '[::1]', port: portOf(layer, 'TCP') });
  });

  it('two layers over TCP on ::1', async () => {
    const b = await echo200({ address: '::1', udp: false });
    const a = await startLayer({ address: '::1', udp: false });
    await a.layer.sendRequest(request('sip:bob@[::1]'), { protocol: 'TCP', address: '::1', port: portOf(b.layer, 'TCP') });
    await waitFor(() => a.got.responses.length === 1);
    expect(b.got.requests[0]!.request.headers.via![0]!.host).toBe('[::1]');
  });

  it('dual stack (::): IPv4 and IPv6 peers over one UDP socket', async () => {
    const { layer, got } = await echo200({ address: '::', tcp: false });
    const port = portOf(layer, 'UDP');
    const v4 = await udpPeer('127.0.0.1');
    const v6 = await udpPeer('::1');
    await v4.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKd4' }), port, '127.0.0.1');
    await v6.send(requestText({ via: 'SIP/2.0/UDP [::1]:5999;rport;branch=z9hG4bKd6' }), port, '::1');
    expect(((await v4.next()).message as SipResponse).status).toBe(200);
    expect(((await v6.next()).message as SipResponse).status).toBe(200);
    expect(got.requests.map((r) => r.remote.address).sort()).toEqual(['127.0.0.1', '::1']);
    // and a request to an IPv4 peer from the dual-stack socket
    await layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'UDP', address: '127.0.0.1', port: v4.port });
    expect((await v4.next()).message.headers.via![0]!.host).toBe('127.0.0.1');
  });
});
