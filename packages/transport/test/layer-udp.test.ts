/**
 * The transport layer over UDP on loopback: the receive pipeline, response routing per RFC 3261
 * §18.2.2 and RFC 3581, Via stamping of outgoing requests, the 1300-byte rule, and bad input.
 */
import { makeResponse, parseMessage, serializeMessage, SipError, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, portOf, request, requestText, startLayer, tcpServer, udpPeer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

/** A layer that answers every request 200 through sendResponse. */
function echo200(options: Parameters<typeof startLayer>[0] = {}) {
  return startLayer({ tcp: false, ...options }, (layer, rq, remote) => {
    void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'srv' }), remote);
  });
}

describe('UDP receive and response routing (RFC 3261 §18.2.2, RFC 3581)', () => {
  it('answers to the sent-by port when sent-by is the source address', async () => {
    const { layer, got } = await echo200();
    const source = await udpPeer();
    const sentBy = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${String(sentBy.port)};branch=z9hG4bKa1` }), portOf(layer, 'UDP'));
    const rs = await sentBy.next();
    expect((rs.message as SipResponse).status).toBe(200);
    expect(source.received).toHaveLength(0);
    expect(got.requests[0]!.remote).toMatchObject({ protocol: 'UDP', address: '127.0.0.1', port: source.port, local: { address: '127.0.0.1', port: portOf(layer, 'UDP') } });
    // sent-by equals the source: no received (§18.2.1)
    expect(got.requests[0]!.request.headers.via![0]!.params.received).toBeUndefined();
  });

  it('fills rport, adds received and answers to the source port (RFC 3581)', async () => {
    const { layer, got } = await echo200();
    const source = await udpPeer();
    const sentBy = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${String(sentBy.port)};rport;branch=z9hG4bKa2` }), portOf(layer, 'UDP'));
    const rs = await source.next();
    const via = (rs.message as SipResponse).headers.via![0]!;
    expect(via.params.received).toBe('127.0.0.1');
    expect(via.params.rport).toBe(String(source.port));
    expect(got.requests[0]!.request.headers.via![0]!.params.rport).toBe(source.port);
    expect(sentBy.received).toHaveLength(0);
  });

  it('adds received when sent-by differs and answers received:sent-by-port', async () => {
    const { layer, got } = await echo200();
    const source = await udpPeer();
    const sentBy = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP 192.0.2.1:${String(sentBy.port)};branch=z9hG4bKa3` }), portOf(layer, 'UDP'));
    await sentBy.next();
    expect(got.requests[0]!.request.headers.via![0]!.params.received).toBe('127.0.0.1');
  });

  it('answers to maddr and the sent-by port, even with rport', async () => {
    const { layer } = await echo200();
    const source = await udpPeer();
    const sentBy = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP 192.0.2.1:${String(sentBy.port)};maddr=127.0.0.1;rport;branch=z9hG4bKa4` }), portOf(layer, 'UDP'));
    expect(((await sentBy.next()).message as SipResponse).status).toBe(200);
    expect(source.received).toHaveLength(0);
  });

  it('answers to the packet source when symmetric responses are configured', async () => {
    const { layer } = await echo200({ symmetricResponses: true });
    const source = await udpPeer();
    const sentBy = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${String(sentBy.port)};branch=z9hG4bKa5` }), portOf(layer, 'UDP'));
    expect(((await source.next()).message as SipResponse).status).toBe(200);
    expect(sentBy.received).toHaveLength(0);
  });

  it('resolves a sent-by host name through the injected resolver', async () => {
    const sentBy = await udpPeer();
    const asked: string[] = [];
    const { layer } = await echo200({
      resolveHost: (host, port, protocol) => {
        asked.push(`${host}:${String(port)}/${protocol}`);
        return Promise.resolve([{ protocol, address: '127.0.0.1', port, host }]);
      },
    });
    const source = await udpPeer();
    await source.send(requestText({ via: `SIP/2.0/UDP client.example.test:${String(sentBy.port)};branch=z9hG4bKa6` }), portOf(layer, 'UDP'));
    // received=127.0.0.1 is added (the name differs from the source), so §18.2.2 uses it without a lookup
    await sentBy.next();
    expect(asked).toEqual([]);
    // a response built without that stamp goes by the name
    const rs = parseMessage(
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP client.example.test:${String(sentBy.port)};branch=z9hG4bKa7\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: n\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    ) as SipResponse;
    await layer.sendResponse(rs);
    await sentBy.next();
    expect(asked).toEqual([`client.example.test:${String(sentBy.port)}/UDP`]);
  });

  it('rejects a response that cannot be routed with a 503 SipError', async () => {
    const { layer } = await echo200({ resolveHost: () => Promise.reject(new Error('NXDOMAIN')) });
    const rs = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP nowhere.invalid;branch=z9hG4bKa8\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: n\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n') as SipResponse;
    await expect(layer.sendResponse(rs)).rejects.toMatchObject({ status: 503 });
    expect(layer.stats.sendErrors).toBe(1);
  });
});

describe('UDP requests out', () => {
  it('stamps the top Via (UDP, our host and port, rport, a branch) and gets the response back', async () => {
    const { layer, got } = await startLayer({ tcp: false });
    const peer = await udpPeer();
    const rq = request(`sip:bob@127.0.0.1:${String(peer.port)}`);
    const remote = await layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    expect(remote).toMatchObject({ protocol: 'UDP', address: '127.0.0.1', port: peer.port, local: { port: portOf(layer, 'UDP') } });
    const arrived = await peer.next();
    expect(arrived.port).toBe(portOf(layer, 'UDP'));
    const via = arrived.message.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'UDP', host: '127.0.0.1', port: portOf(layer, 'UDP') });
    expect(via.params.rport).toBeNull();
    expect(String(via.params.branch)).toMatch(/^z9hG4bK.{16,}/);
    // the request object was stamped in place
    expect(rq.headers.via![0]!.params.branch).toBe(via.params.branch);
    await peer.send(serializeMessage(makeResponse(arrived.message as never, 200)), portOf(layer, 'UDP'));
    await waitFor(() => got.responses.length === 1);
    expect(got.responses[0]!.response.headers.via![0]!.params.branch).toBe(via.params.branch);
    expect(layer.stats).toMatchObject({ messagesSent: 1, responsesReceived: 1 });
  });

  it('keeps an existing branch, leaves rport off when configured, and writes publicAddress', async () => {
    const { layer } = await startLayer({ tcp: false, rport: false, publicAddress: 'sip.example.test' });
    const peer = await udpPeer();
    const rq = request('sip:bob@127.0.0.1', 'Via: SIP/2.0/TCP placeholder;branch=z9hG4bKkeep\r\n');
    await layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    const via = (await peer.next()).message.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'UDP', host: 'sip.example.test', port: portOf(layer, 'UDP') });
    expect(via.params).toEqual({ branch: 'z9hG4bKkeep' });
  });

  it('moves a request over 1300 bytes to TCP (RFC 3261 §18.1.1) with a TCP Via', async () => {
    const { layer } = await startLayer({});
    const server = await tcpServer();
    const rq = request(`sip:bob@127.0.0.1:${String(server.port)}`, `X-Pad: ${'x'.repeat(1400)}\r\n`);
    const remote = await layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: server.port });
    expect(remote.protocol).toBe('TCP');
    await waitFor(() => server.peers.length === 1 && server.peers[0]!.messages.length === 1);
    const via = parseMessage(server.peers[0]!.messages[0]!).headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'TCP', port: portOf(layer, 'TCP') });
    expect(via.params.rport).toBeUndefined();
  });

  it('falls back to UDP when the TCP connect is refused', async () => {
    const { layer } = await startLayer({});
    const peer = await udpPeer(); // nothing listens on TCP at this port
    const rq = request('sip:bob@127.0.0.1', `X-Pad: ${'x'.repeat(1400)}\r\n`);
    const remote = await layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    expect(remote.protocol).toBe('UDP');
    const via = (await peer.next()).message.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'UDP', port: portOf(layer, 'UDP') });
  });

  it('keeps a large request on UDP when the next hop says transport=udp', async () => {
    const { layer } = await startLayer({});
    const peer = await udpPeer();
    const rq = request(`sip:bob@127.0.0.1:${String(peer.port)};transport=udp`, `X-Pad: ${'x'.repeat(1400)}\r\n`);
    const remote = await layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: peer.port });
    expect(remote.protocol).toBe('UDP');
    expect((await peer.next()).text.length).toBeGreaterThan(1300);
  });

  it('rejects with 503 when no socket of the address family exists (IPv6 target, IPv4 socket)', async () => {
    const { layer } = await startLayer({ tcp: false });
    const err: unknown = await layer.sendRequest(request('sip:bob@[::1]'), { protocol: 'UDP', address: '::1', port: 5060 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipError);
    expect(err).toMatchObject({ code: 'send-failed', status: 503 });
    expect(layer.stats.sendErrors).toBe(1);
  });

  it('rejects a datagram over maxDatagramBytes with 503 (TCP off)', async () => {
    const { layer } = await startLayer({ tcp: false, limits: { maxDatagramBytes: 1000 } });
    const rq = request('sip:bob@127.0.0.1', `X-Pad: ${'x'.repeat(1200)}\r\n`);
    await expect(layer.sendRequest(rq, { protocol: 'UDP', address: '127.0.0.1', port: 9 })).rejects.toMatchObject({ code: 'send-failed', status: 503 });
  });
});

describe('UDP bad input', () => {
  it('answers a malformed request 400, drops garbage, and keeps answering', async () => {
    const { layer, got } = await echo200();
    const peer = await udpPeer();
    const port = portOf(layer, 'UDP');
    await peer.send('\x00\x01garbage\xff\r\n\r\n', port);
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKbad' }).replace('Max-Forwards: 70', 'Max-Forwards: many'), port);
    const bad = (await peer.next()).message as SipResponse;
    expect(bad.status).toBe(400);
    expect(bad.headers.via![0]!.params.branch).toBe('z9hG4bKbad');
    expect(bad.headers.warning as string).toMatch(/^399 - ".+"$/);
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKgood' }), port);
    const good = (await peer.next()).message as SipResponse;
    expect(good.status).toBe(200);
    expect(layer.stats).toMatchObject({ dropped: 1, badRequestsAnswered: 1, requestsReceived: 1 });
    expect(got.requests).toHaveLength(1);
  });

  it('answers a request missing a mandatory header 400 with a To tag', async () => {
    const { layer, got } = await echo200();
    const peer = await udpPeer();
    const text = requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKnofrom' }).replace(/From: [^\r]*\r\n/, '');
    await peer.send(text, portOf(layer, 'UDP'));
    const rs = (await peer.next()).message as SipResponse;
    expect(rs.status).toBe(400);
    expect(rs.headers.to!.params.tag).toBeTruthy();
    expect(rs.headers.warning as string).toContain('From');
    expect(got.requests).toHaveLength(0);
  });

  it('drops a malformed response and an oversized datagram, counting them', async () => {
    const { layer } = await echo200({ limits: { maxDatagramBytes: 2000 } });
    const peer = await udpPeer();
    const port = portOf(layer, 'UDP');
    await peer.send('SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n', port);
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKbig', extra: `X-Pad: ${'x'.repeat(3000)}\r\n` }), port);
    await waitFor(() => layer.stats.dropped === 2);
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKok' }), port);
    expect(((await peer.next()).message as SipResponse).status).toBe(200);
    expect(peer.received).toHaveLength(1);
  });

  it('survives a handler that throws', async () => {
    let calls = 0;
    const { layer } = await startLayer({ tcp: false }, (l, rq, remote) => {
      calls++;
      if (calls === 1) throw new Error('handler bug');
      void l.sendResponse(makeResponse(rq, 200), remote);
    });
    const peer = await udpPeer();
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKt1' }), portOf(layer, 'UDP'));
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKt2' }), portOf(layer, 'UDP'));
    expect(((await peer.next()).message as SipResponse).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('traces raw bytes in and out', async () => {
    const seen: string[] = [];
    const { layer } = await echo200({
      trace: {
        onReceive: (bytes, remote) => seen.push(`in ${remote.protocol} ${Buffer.from(bytes).toString('latin1').split(' ')[0]!}`),
        onSend: (bytes, remote) => seen.push(`out ${remote.protocol} ${Buffer.from(bytes).toString('latin1').split(' ')[1]!}`),
      },
    });
    const peer = await udpPeer();
    await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKtr' }), portOf(layer, 'UDP'));
    await peer.next();
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['in UDP OPTIONS', 'out UDP 200']);
  });
});
