/**
 * The classic package's registrar-redirector-tls example (apps/registrar-redirector.cjs with a
 * `tls` option: key and certificate made with openssl for the test) on the facade, driven by a TLS
 * client written here (sipp has no TLS) that verifies the server's certificate: REGISTER over TLS
 * gets 200 with its Contact, an INVITE for that user 302 to it, an unknown user 404. UDP and TCP
 * keep working beside TLS.
 * @see RFC 3261 §26.2 (TLS), §18.3 (framing on stream transports), §10.3, §8.3
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForTcp } from './harness/app.js';
import { branch, connectTls, makeCertificate, tlsRequest, type TlsClient } from './harness/tls-client.js';
import { useExampleApp } from './harness/use-example-app.js';
import { addrUri, header } from './harness/wire.js';

describe('classic example: registrar-redirector over TLS', () => {
  let client: TlsClient | undefined;
  let dir = '';
  let tlsPort = 0;
  let ca = Buffer.alloc(0);

  const ex = useExampleApp('registrar-redirector', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipts-examples-tls-'));
    const { key, cert } = makeCertificate(dir);
    ca = readFileSync(cert);
    tlsPort = await freePort();
    return { TLS_PORT: String(tlsPort), TLS_KEY: key, TLS_CERT: cert };
  });

  beforeAll(async () => {
    await waitForTcp(tlsPort);
  });

  // Runs before the app is stopped (hooks in stack order).
  afterAll(() => {
    client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers over TLS (the server certificate verified), then redirects an INVITE to the registered Contact', async () => {
    client = await connectTls(tlsPort, ca);
    expect(client.socket.authorized).toBe(true);
    const local = client.socket.localPort!;
    const contact = `sips:tina@127.0.0.1:${local}`;
    const callId = `${branch()}@127.0.0.1`;
    const ok = await client.request(tlsRequest({ method: 'REGISTER', uri: 'sips:127.0.0.1', user: 'tina', local, branch: branch(), callId, contact }));
    expect(ok.startLine, ex.app.output()).toBe('SIP/2.0 200 OK');
    expect(header(ok, 'contact').map(addrUri)).toEqual([contact]);
    expect(header(ok, 'call-id')).toEqual([callId]);

    const inviteBranch = branch();
    const inviteCallId = `${branch()}@127.0.0.1`;
    const moved = await client.request(tlsRequest({ method: 'INVITE', uri: 'sips:tina@127.0.0.1', user: 'tina', local, branch: inviteBranch, callId: inviteCallId }));
    expect(moved.status).toBe(302);
    expect(header(moved, 'contact').map(addrUri)).toEqual([contact]);
    // The ACK for the 302 (same branch, RFC 3261 §17.1.1.3) goes over the same connection.
    client.send(tlsRequest({ method: 'ACK', uri: 'sips:tina@127.0.0.1', user: 'tina', local, branch: inviteBranch, callId: inviteCallId, toTag: /tag=([^;\s]+)/.exec(header(moved, 'to')[0] ?? '')?.[1] ?? '' }));

    const missing = await client.request(tlsRequest({ method: 'INVITE', uri: 'sips:nobody@127.0.0.1', user: 'nobody', local, branch: branch(), callId: `${branch()}@127.0.0.1` }));
    expect(missing.startLine).toBe('SIP/2.0 404 Not Found');
    await expect.poll(() => ex.app.events().filter((e) => e.protocol === 'TLS').map((e) => [e.method, e.status])).toEqual([
      ['REGISTER', 200],
      ['INVITE', 302],
      ['INVITE', 404],
    ]);
  });

  it('refuses a client that does not trust the certificate (no SIP is exchanged)', async () => {
    await expect(connectTls(tlsPort, Buffer.from(''))).rejects.toThrow(/self.signed|certificate/i);
  });

  it('keeps answering over UDP beside TLS: an INVITE for the TLS-registered user is redirected too', async () => {
    const run = await ex.sipp('invite-302', { service: 'tina' });
    expect(header(run.received.find((m) => m.status === 302)!, 'contact').map(addrUri)[0]).toMatch(/^sips:tina@127\.0\.0\.1:\d+$/);
  });
});
