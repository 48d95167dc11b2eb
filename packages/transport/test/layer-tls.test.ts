/**
 * The transport layer over TLS on loopback, with a certificate authority made at test time:
 * both directions over one connection, the TLS port in Via, verification on by default, SNI.
 */
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { makeResponse, type SipResponse } from '@sipts/message';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, makeCerts, portOf, request, requestText, startLayer, streamPeer, waitFor, type TestCerts } from './layer-helpers.js';

afterEach(cleanup);

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

function tlsServer(extra: Parameters<typeof startLayer>[0] = {}) {
  return startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert }, ...extra }, (layer, rq, remote) => {
    void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'srv' }), remote);
  });
}

describe('TLS', () => {
  it('request and response between two layers, with the TLS port (not the UDP port) in Via', async () => {
    const b = await tlsServer();
    const a = await startLayer({ tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert, client: { ca: certs.ca } } });
    expect(portOf(a.layer, 'TLS')).not.toBe(portOf(a.layer, 'UDP'));
    const target = { protocol: 'TLS' as const, address: '127.0.0.1', port: portOf(b.layer, 'TLS'), host: 'localhost' };
    const r1 = await a.layer.sendRequest(request('sips:bob@localhost'), target);
    await waitFor(() => a.got.responses.length === 1);
    const via = b.got.requests[0]!.request.headers.via![0]!;
    expect(via).toMatchObject({ protocol: 'TLS', host: '127.0.0.1', port: portOf(a.layer, 'TLS') });
    expect(via.params.rport).toBeUndefined();
    expect(b.got.requests[0]!.remote.protocol).toBe('TLS');
    // reuse
    const r2 = await a.layer.sendRequest(request('sips:bob@localhost'), target);
    await waitFor(() => a.got.responses.length === 2);
    expect(r2.flowId).toBe(r1.flowId);
    expect(b.layer.stats.connectionsOpened).toBe(1);
    // and a request back from B to A over the same connection (A connected to B)
    const back = b.got.requests[0]!.remote;
    await b.layer.sendRequest(request('sips:alice@localhost'), { protocol: 'TLS', address: back.address, port: back.port });
    await waitFor(() => a.got.requests.length === 1);
    expect(a.got.requests[0]!.remote.flowId).toBe(r1.flowId);
    expect(a.layer.stats.connectionsOpened).toBe(1);
  });

  it('verifies the server certificate by default: an untrusted CA is refused with 503', async () => {
    const b = await tlsServer();
    const a = await startLayer({ udp: false, tcp: false });
    const err = await a.layer.sendRequest(request('sips:bob@localhost'), { protocol: 'TLS', address: '127.0.0.1', port: portOf(b.layer, 'TLS'), host: 'localhost' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connect-failed', status: 503 });
    expect(b.got.requests).toHaveLength(0);
  });

  it('refuses a certificate that does not name the SNI host', async () => {
    const b = await tlsServer();
    const a = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert, client: { ca: certs.ca } } });
    const err = await a.layer.sendRequest(request('sips:bob@other.test'), { protocol: 'TLS', address: '127.0.0.1', port: portOf(b.layer, 'TLS'), host: 'other.test' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connect-failed', status: 503 });
  });

  it('sends SNI from target.host, never for an IP address', async () => {
    const names: (string | undefined)[] = [];
    const server = createTlsServer({
      key: certs.key,
      cert: certs.cert,
      SNICallback: (name, cb) => {
        names.push(name);
        cb(null, undefined);
      },
    });
    server.on('secureConnection', (s) => {
      names.push(`done:${(s as unknown as { servername: string | false }).servername || 'none'}`);
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const a = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert, client: { ca: certs.ca } } });
      await a.layer.sendRequest(request('sips:bob@localhost'), { protocol: 'TLS', address: '127.0.0.1', port, host: 'localhost' });
      await waitFor(() => names.length === 2);
      await a.layer.sendRequest(request('sips:bob@127.0.0.1'), { protocol: 'TLS', address: '127.0.0.1', port: port, host: '127.0.0.1' }).catch(() => undefined);
      await waitFor(() => names.length === 3);
      expect(names).toEqual(['localhost', 'done:localhost', 'done:none']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('accepts an untrusted certificate only when verification is switched off', async () => {
    const b = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.otherKey, cert: certs.otherCert } }, (layer, rq, remote) => {
      void layer.sendResponse(makeResponse(rq, 200), remote);
    });
    const a = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert, client: { rejectUnauthorized: false } } });
    await a.layer.sendRequest(request('sips:bob@localhost'), { protocol: 'TLS', address: '127.0.0.1', port: portOf(b.layer, 'TLS') });
    await waitFor(() => a.got.responses.length === 1);
  });

  it('a raw TLS client: request in, 200 out, ping answered, over one connection', async () => {
    const b = await tlsServer();
    const socket = tlsConnect({ host: '127.0.0.1', port: portOf(b.layer, 'TLS'), ca: certs.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => {
        resolve();
      });
      socket.once('error', reject);
    });
    const peer = streamPeer(socket);
    peer.send('\r\n\r\n');
    await waitFor(() => peer.raw === '\r\n');
    peer.send(requestText({ via: 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls' }));
    const rs = (await peer.next()) as SipResponse;
    expect(rs.status).toBe(200);
    expect(b.got.requests[0]!.request.method).toBe('OPTIONS');
    expect((b.got.requests[0]!.request).headers.via![0]!.params.branch).toBe('z9hG4bKtls');
    expect(b.layer.stats.keepAlivesAnswered).toBe(1);
  });

  it('closes a TLS connection that stalls in the handshake (deadline)', async () => {
    const b = await tlsServer({ limits: { messageDeadlineMs: 300 } });
    const { tcpClient } = await import('./layer-helpers.js');
    const raw = await tcpClient(portOf(b.layer, 'TLS'));
    raw.send('\x16');
    await raw.whenClosed();
  });
});
