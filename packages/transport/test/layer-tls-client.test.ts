/**
 * The top-level `tlsClient` option: a layer with no TLS listener (and no UDP or TCP) opens TLS and
 * WSS connections, verifies the server against the given CA, and gets its responses back over the
 * connection it opened; `tls.client` alone still works; `tlsClient` wins over it, unmerged.
 * @see RFC 3261 §18.1.1, §26.2.1; RFC 7118
 */
import { makeResponse, SipError } from '@sipts/message';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/index.js';
import { cleanup, makeCerts, portOf, request, startLayer, waitFor, type TestCerts } from './layer-helpers.js';

afterEach(cleanup);

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

/** A TLS and WSS server with the test CA's certificate that answers 200 to every request. */
function secureServer() {
  return startLayer(
    { udp: false, tcp: false, tls: { port: 0, key: certs.key, cert: certs.cert }, wss: { port: 0, key: certs.key, cert: certs.cert } },
    (layer, rq, remote) => {
      void layer.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'srv' }), remote);
    },
  );
}

function targetOf(b: Awaited<ReturnType<typeof secureServer>>, protocol: 'TLS' | 'WSS') {
  return { protocol, address: '127.0.0.1', port: portOf(b.layer, protocol), host: 'localhost' };
}

const secure: ('TLS' | 'WSS')[] = ['TLS', 'WSS'];

describe('tlsClient: outgoing TLS and WSS without a TLS listener', () => {
  it.each(secure)('%s: request out, response back over the same connection, from a layer that listens on nothing', async (protocol) => {
    const b = await secureServer();
    const a = await startLayer({ udp: false, tcp: false, tlsClient: { ca: certs.ca } });
    expect(a.layer.listening).toEqual([]);
    const target = targetOf(b, protocol);
    const r1 = await a.layer.sendRequest(request('sips:bob@localhost'), target);
    expect(r1.protocol).toBe(protocol);
    await waitFor(() => a.got.responses.length === 1);
    expect(a.got.responses[0]!.response.status).toBe(200);
    expect(a.got.responses[0]!.remote.flowId).toBe(r1.flowId);
    // With no listener for the protocol, Via names the connection's own local port (§18.1.1).
    const via = b.got.requests[0]!.request.headers.via![0]!;
    expect(via).toMatchObject({ protocol, host: '127.0.0.1', port: r1.local.port });
    expect(b.got.requests[0]!.remote.protocol).toBe(protocol);
    // a second request reuses the connection
    const r2 = await a.layer.sendRequest(request('sips:bob@localhost'), target);
    await waitFor(() => a.got.responses.length === 2);
    expect(r2.flowId).toBe(r1.flowId);
    expect(a.got.responses[1]!.remote.flowId).toBe(r1.flowId);
    expect(a.layer.stats.connectionsOpened).toBe(1);
    expect(b.layer.stats.connectionsOpened).toBe(1);
  });

  it.each(secure)('%s: a CA that did not sign the server certificate fails with a typed 503 and sends nothing', async (protocol) => {
    const b = await secureServer();
    const a = await startLayer({ udp: false, tcp: false, tlsClient: { ca: certs.otherCert } });
    const err = await a.layer.sendRequest(request('sips:bob@localhost'), targetOf(b, protocol)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipError);
    expect(err).toMatchObject({ code: 'connect-failed', status: 503 });
    expect(a.layer.stats.sendErrors).toBe(1);
    expect(b.got.requests).toHaveLength(0);
  });

  it.each(secure)('%s: verification stays on by default (an empty tlsClient trusts only the system CAs)', async (protocol) => {
    const b = await secureServer();
    const a = await startLayer({ udp: false, tcp: false, tlsClient: {} });
    await expect(a.layer.sendRequest(request('sips:bob@localhost'), targetOf(b, protocol))).rejects.toMatchObject({ code: 'connect-failed', status: 503 });
    expect(b.got.requests).toHaveLength(0);
  });

  it.each(secure)('%s: tls.client alone still configures outgoing connections (compatibility)', async (protocol) => {
    const b = await secureServer();
    const a = await startLayer({ udp: false, tcp: false, tls: { port: 0, key: certs.otherKey, cert: certs.otherCert, client: { ca: certs.ca } } });
    const r = await a.layer.sendRequest(request('sips:bob@localhost'), targetOf(b, protocol));
    await waitFor(() => a.got.responses.length === 1);
    expect(a.got.responses[0]!.remote.flowId).toBe(r.flowId);
  });
});

describe('tlsClient and tls.client together', () => {
  function recordingLogger(): { logger: Logger; warnings: string[] } {
    const warnings: string[] = [];
    const nop = (): void => undefined;
    return { logger: { debug: nop, info: nop, error: nop, warn: (msg) => warnings.push(msg) }, warnings };
  }

  it.each(secure)('%s: tlsClient wins over tls.client, with a warning', async (protocol) => {
    const b = await secureServer();
    const { logger, warnings } = recordingLogger();
    const a = await startLayer({
      udp: false,
      tcp: false,
      logger,
      tls: { port: 0, key: certs.otherKey, cert: certs.otherCert, client: { ca: certs.otherCert } },
      tlsClient: { ca: certs.ca },
    });
    expect(warnings.some((w) => w.includes('tls.client is ignored'))).toBe(true);
    await a.layer.sendRequest(request('sips:bob@localhost'), targetOf(b, protocol));
    await waitFor(() => a.got.responses.length === 1);
  });

  it('the two are not merged: rejectUnauthorized: false in tls.client does not carry over', async () => {
    const b = await secureServer();
    const a = await startLayer({
      udp: false,
      tcp: false,
      tls: { port: 0, key: certs.otherKey, cert: certs.otherCert, client: { rejectUnauthorized: false } },
      tlsClient: { ca: certs.otherCert },
    });
    for (const protocol of secure) {
      await expect(a.layer.sendRequest(request('sips:bob@localhost'), targetOf(b, protocol))).rejects.toMatchObject({ code: 'connect-failed', status: 503 });
    }
    expect(b.got.requests).toHaveLength(0);
  });
});
