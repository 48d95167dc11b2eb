/**
 * The transport layer over TCP on loopback: both directions over one connection, reuse,
 * reconnecting for a response when the connection is gone, keep-alive pong, bad input, limits,
 * and stop() closing established connections.
 */
import { connect } from 'node:net';
import { makeResponse, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, portOf, request, requestText, startLayer, tcpClient, tcpServer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

function echo200(options: Parameters<typeof startLayer>[0] = {}) {
  return startLayer({ udp: false, ...options }, (layer, rq, remote) => {
    void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'srv' }), remote);
  });
}

describe('TCP requests and responses', () => {
  it('answers over the same connection and sends a request back over it (inbound reuse)', async () => {
    const { layer, got } = await echo200();
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKt1' }));
    const rs = (await client.next()) as SipResponse;
    expect(rs.status).toBe(200);
    const remote = got.requests[0]!.remote;
    expect(remote).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: client.socket.localPort });
    expect(remote.flowId).toBeDefined();
    // The layer sends a request to the client's address and port: it goes over the same connection.
    await layer.sendRequest(request('sip:alice@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: client.socket.localPort! });
    const back = (await client.next()) as SipRequest;
    expect(back.method).toBe('OPTIONS');
    expect(back.headers.via![0]).toMatchObject({ protocol: 'TCP', port: portOf(layer, 'TCP') });
    // and by flow id
    await layer.sendRequest(request('sip:alice@127.0.0.1'), { protocol: 'TCP', address: '192.0.2.1', port: 1, flowId: remote.flowId! });
    expect(((await client.next()) as SipRequest).method).toBe('OPTIONS');
    expect(layer.stats.connectionsOpened).toBe(1);
  });

  it('two layers: request, response and reuse of the connection', async () => {
    const b = await echo200();
    const a = await startLayer({ udp: false });
    const target = { protocol: 'TCP' as const, address: '127.0.0.1', port: portOf(b.layer, 'TCP') };
    const r1 = await a.layer.sendRequest(request('sip:bob@127.0.0.1'), target);
    await waitFor(() => a.got.responses.length === 1);
    const r2 = await a.layer.sendRequest(request('sip:bob@127.0.0.1'), target);
    await waitFor(() => a.got.responses.length === 2);
    expect(r2.flowId).toBe(r1.flowId);
    expect(a.layer.stats.connectionsOpened).toBe(1);
    expect(b.layer.stats.connectionsOpened).toBe(1);
    const via = b.got.requests[0]!.request.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'TCP', host: '127.0.0.1', port: portOf(a.layer, 'TCP') });
    expect(via.params.rport).toBeUndefined();
    expect(a.got.responses[0]!.remote.flowId).toBe(r1.flowId);
  });

  it('opens a new connection to received:sent-by-port when the request’s connection is gone', async () => {
    const { layer, got } = await startLayer({ udp: false });
    const server = await tcpServer(); // where the client's Via says it listens
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send(requestText({ via: `SIP/2.0/TCP 192.0.2.7:${String(server.port)};branch=z9hG4bKgone` }));
    await waitFor(() => got.requests.length === 1);
    const { request: rq, remote } = got.requests[0]!;
    expect(rq.headers.via![0]!.params.received).toBe('127.0.0.1');
    client.socket.destroy();
    await waitFor(() => got.flowsClosed.length === 1);
    expect(got.flowsClosed[0]!.flowId).toBe(remote.flowId);
    const sent = await layer.sendResponse(makeResponse(rq, 200), remote);
    expect(sent).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: server.port });
    await waitFor(() => server.peers[0]?.messages.length === 1);
    expect(server.peers[0]!.messages[0]).toMatch(/^SIP\/2\.0 200 OK\r\n/);
  });

  it('rejects with connect-failed 503 when nothing listens', async () => {
    const { layer } = await startLayer({ udp: false });
    const closed = await tcpServer();
    const port = closed.port;
    await new Promise<void>((r) => closed.server.close(() => r()));
    const err: unknown = await layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipError);
    expect(err).toMatchObject({ code: 'connect-failed', status: 503 });
    expect((err as Error).message).toContain(`127.0.0.1:${String(port)}`);
    expect(layer.stats.sendErrors).toBe(1);
  });

  it('answers a CRLFCRLF ping with a CRLF pong (RFC 5626 §4.4.1)', async () => {
    const { layer } = await echo200();
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send('\r\n\r\n');
    await waitFor(() => client.raw.length >= 2);
    expect(client.raw).toBe('\r\n');
    expect(layer.stats.keepAlivesAnswered).toBe(1);
    // a lone CRLF (a pong) is not answered; a request after it still is
    client.send('\r\n');
    client.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKp' }));
    expect(((await client.next()) as SipResponse).status).toBe(200);
    expect(client.raw.startsWith('\r\nSIP/2.0 200')).toBe(true);
  });
});

describe('TCP bad input', () => {
  it('answers a malformed request 400 on the connection and keeps answering', async () => {
    const { layer } = await echo200();
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKm1' }).replace('Max-Forwards: 70', 'Max-Forwards: seventy'));
    const bad = (await client.next()) as SipResponse;
    expect(bad.status).toBe(400);
    expect(bad.headers.via![0]!.params.branch).toBe('z9hG4bKm1');
    client.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKm2' }));
    expect(((await client.next()) as SipResponse).status).toBe(200);
    expect(layer.stats.badRequestsAnswered).toBe(1);
  });

  it('drops garbage that breaks the framing, closes that connection, and keeps serving others', async () => {
    const { layer } = await echo200();
    const bad = await tcpClient(portOf(layer, 'TCP'));
    bad.send('GARBAGE garbage garbage\r\nno content length here\r\n\r\n');
    await bad.whenClosed();
    expect(layer.stats.dropped).toBe(1);
    const good = await tcpClient(portOf(layer, 'TCP'));
    good.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKg' }));
    expect(((await good.next()) as SipResponse).status).toBe(200);
  });

  it('closes a connection after maxMalformedPerConnection malformed messages', async () => {
    const { layer } = await echo200({ limits: { maxMalformedPerConnection: 3 } });
    const client = await tcpClient(portOf(layer, 'TCP'));
    for (let i = 0; i < 3; i++) client.send(requestText({ via: `SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKmm${String(i)}` }).replace('Max-Forwards: 70', 'Max-Forwards: x'));
    await client.whenClosed();
    expect(client.messages).toHaveLength(3);
    expect(layer.stats.badRequestsAnswered).toBe(3);
    expect(layer.stats.connectionsRejected).toBe(1);
  });

  it('closes a connection that does not complete a message in time (slowloris)', async () => {
    const { layer, got } = await echo200({ limits: { messageDeadlineMs: 300 } });
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send('O');
    await client.whenClosed();
    expect(got.requests).toHaveLength(0);
    await waitFor(() => layer.stats.connectionsClosed === 1);
  });

  it('does not close a connection that completes its messages', async () => {
    const { layer } = await echo200({ limits: { messageDeadlineMs: 300 } });
    const client = await tcpClient(portOf(layer, 'TCP'));
    const text = requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKsl' });
    client.send(text.slice(0, 10));
    client.send(text.slice(10));
    expect(((await client.next()) as SipResponse).status).toBe(200);
    expect(client.closed).toBe(false);
  });

  it('closes a connection over the header limit', async () => {
    const { layer } = await echo200({ limits: { maxHeaderBytes: 1024 } });
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send(`OPTIONS sip:x SIP/2.0\r\nX-Flood: ${'a'.repeat(4000)}`);
    await client.whenClosed();
    expect(layer.stats.dropped).toBe(1);
  });

  it('closes an idle connection after idleTimeoutMs', async () => {
    const { layer, got } = await echo200({ limits: { idleTimeoutMs: 300 } });
    const client = await tcpClient(portOf(layer, 'TCP'));
    await client.whenClosed();
    await waitFor(() => got.flowsClosed.length === 1);
    expect(layer.stats.connectionsClosed).toBe(1);
  });
});

describe('TCP connection limits and stop', () => {
  it('refuses connections past maxConnectionsPerAddress', async () => {
    const { layer } = await echo200({ limits: { maxConnectionsPerAddress: 2 } });
    const port = portOf(layer, 'TCP');
    const c1 = await tcpClient(port);
    const c2 = await tcpClient(port);
    await waitFor(() => layer.stats.connectionsOpened === 2);
    const c3 = await tcpClient(port);
    await c3.whenClosed();
    expect(layer.stats.connectionsRejected).toBe(1);
    c1.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKl1' }));
    expect(((await c1.next()) as SipResponse).status).toBe(200);
    expect(c2.closed).toBe(false);
    // a slot frees when one closes
    c2.socket.destroy();
    await waitFor(() => layer.stats.connectionsClosed === 1);
    const c4 = await tcpClient(port);
    c4.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKl4' }));
    expect(((await c4.next()) as SipResponse).status).toBe(200);
  });

  it('refuses connections past maxConnections', async () => {
    const { layer } = await echo200({ limits: { maxConnections: 1 } });
    const port = portOf(layer, 'TCP');
    await tcpClient(port);
    await waitFor(() => layer.stats.connectionsOpened === 1);
    const c2 = await tcpClient(port);
    await c2.whenClosed();
    expect(layer.stats.connectionsRejected).toBe(1);
  });

  it('stop() closes established connections and the listener, and is idempotent', async () => {
    const { layer, got } = await echo200();
    const port = portOf(layer, 'TCP');
    const inbound = await tcpClient(port);
    const server = await tcpServer();
    await layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: server.port });
    await waitFor(() => server.peers.length === 1);
    const stopping = layer.stop();
    expect(layer.stop()).toBe(stopping);
    await stopping;
    await inbound.whenClosed();
    await server.peers[0]!.whenClosed();
    expect(got.flowsClosed).toHaveLength(2);
    // nothing listens any more
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => {
        resolve(e.code ?? 'error');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
    await expect(layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: server.port })).rejects.toMatchObject({ status: 503 });
  });
});
