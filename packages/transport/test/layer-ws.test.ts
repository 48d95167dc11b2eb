/**
 * WebSocket (RFC 7118) through the transport layer: WS and WSS listeners and client targets,
 * responses over the same WebSocket, and requests back over an inbound WebSocket flow.
 */
import { makeResponse } from '@sipts/message';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, makeCerts, portOf, request, startLayer, waitFor, type TestCerts } from './layer-helpers.js';

afterEach(cleanup);

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

function answering(options: Parameters<typeof startLayer>[0]) {
  return startLayer({ udp: false, tcp: false, ...options }, (layer, rq, remote) => {
    void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'ws' }), remote);
  });
}

describe('WebSocket through the transport layer', () => {
  it('WS: request and response over one WebSocket, a request back over the inbound flow', async () => {
    const b = await answering({ ws: { port: 0, path: '/sip' } });
    const a = await startLayer({ udp: false, tcp: false });
    const target = { protocol: 'WS' as const, address: '127.0.0.1', port: portOf(b.layer, 'WS'), path: '/sip' };
    const r1 = await a.layer.sendRequest(request('sip:bob@127.0.0.1;transport=ws'), target);
    expect(r1.protocol).toBe('WS');
    await waitFor(() => a.got.responses.length === 1);
    const { request: rq, remote } = b.got.requests[0]!;
    expect(remote.protocol).toBe('WS');
    expect(rq.headers.via![0]!.protocol).toBe('WS');
    // reuse, and B's request back to A over the same WebSocket
    await a.layer.sendRequest(request('sip:bob@127.0.0.1;transport=ws'), target);
    await waitFor(() => a.got.responses.length === 2);
    await b.layer.sendRequest(request('sip:alice@127.0.0.1;transport=ws'), { protocol: 'WS', address: remote.address, port: remote.port, flowId: remote.flowId! });
    await waitFor(() => a.got.requests.length === 1);
    expect(a.got.requests[0]!.remote.flowId).toBe(r1.flowId);
    expect(a.layer.stats.connectionsOpened).toBe(1);
    expect(b.layer.stats.connectionsOpened).toBe(1);
  });

  it('WSS: verified against the test CA; refused without it', async () => {
    const b = await answering({ wss: { port: 0, key: certs.key, cert: certs.cert } });
    const trusted = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert, client: { ca: certs.ca } } });
    const target = { protocol: 'WSS' as const, address: '127.0.0.1', port: portOf(b.layer, 'WSS'), host: 'localhost' };
    await trusted.layer.sendRequest(request('sips:bob@localhost;transport=ws'), target);
    await waitFor(() => trusted.got.responses.length === 1);
    const untrusted = await startLayer({ udp: false, tcp: false });
    await expect(untrusted.layer.sendRequest(request('sips:bob@localhost;transport=ws'), target)).rejects.toMatchObject({ status: 503 });
  });

  it('WS: a malformed request gets a 400 over the WebSocket; limits per address apply', async () => {
    const b = await answering({ ws: { port: 0 }, limits: { maxConnectionsPerAddress: 1 } });
    const a = await startLayer({ udp: false, tcp: false });
    const bad = request('sip:bob@127.0.0.1');
    bad.headers['max-forwards'] = 'many';
    await a.layer.sendRequest(bad, { protocol: 'WS', address: '127.0.0.1', port: portOf(b.layer, 'WS') });
    await waitFor(() => a.got.responses.length === 1);
    expect(a.got.responses[0]!.response.status).toBe(400);
    expect(b.layer.stats.badRequestsAnswered).toBe(1);
    // a second client from the same address is refused
    const c = await startLayer({ udp: false, tcp: false });
    await c.layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'WS', address: '127.0.0.1', port: portOf(b.layer, 'WS') }).catch(() => undefined);
    await waitFor(() => b.layer.stats.connectionsRejected === 1);
    expect(b.got.requests).toHaveLength(0);
  });

  it('stop() closes WebSocket connections on both sides', async () => {
    const b = await answering({ ws: { port: 0 } });
    const a = await startLayer({ udp: false, tcp: false });
    await a.layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'WS', address: '127.0.0.1', port: portOf(b.layer, 'WS') });
    await waitFor(() => a.got.responses.length === 1);
    await b.layer.stop();
    await waitFor(() => a.got.flowsClosed.length === 1);
    expect(b.got.flowsClosed).toHaveLength(1);
  });
});
