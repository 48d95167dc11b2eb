/**
 * A client-only stack (`tlsClient`, no listener at all) sends over TLS and WSS through the default
 * resolver: `;transport=tls`, `sips:` and `;transport=wss` URIs resolve to targets it can use, and
 * the responses come back over the connection it opened. Without `tlsClient` such a stack has no
 * TLS or WSS to offer the resolver, and answers 503.
 * @see RFC 3261 §18.1.1, §26.2; RFC 3263 §4.1; RFC 7118 §5.2
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeResponse, type SipRequest } from '@sipts/message';
import { runTool } from '@sipts/test-peers';
import { generateTag } from '@sipts/transport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../src/node/index.js';
import { newRequest, startStack, stopAll } from './stack-helpers.js';

afterEach(stopAll);

/** A self-signed certificate for localhost and 127.0.0.1, which its holder's peers trust as a CA. */
let tls = { key: '', cert: '' };
let stranger = '';

async function selfSigned(dir: string, name: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const r = await runTool(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipts-stack-tls-'));
  try {
    tls = await selfSigned(dir, 'server');
    stranger = (await selfSigned(dir, 'stranger')).cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A UAS on TLS and WSS only that answers 200 to everything. */
async function secureUas(): Promise<{ stack: Stack; got: SipRequest[]; port: (p: 'TLS' | 'WSS') => number }> {
  const got: SipRequest[] = [];
  const { stack } = await startStack({ udp: false, tcp: false, tls: { port: 0, ...tls }, wss: { port: 0, ...tls } });
  stack.setRequestHandler((rq, st) => {
    got.push(rq);
    void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
  });
  const port = (p: 'TLS' | 'WSS'): number => {
    const l = stack.transport.listening.find((x) => x.protocol === p);
    if (l === undefined) throw new Error(`no ${p} listener`);
    return l.port;
  };
  return { stack, got, port };
}

const uris: [string, 'TLS' | 'WSS', (port: number) => string][] = [
  ['transport=tls', 'TLS', (port) => `sip:bob@127.0.0.1:${String(port)};transport=tls`],
  ['sips:', 'TLS', (port) => `sips:bob@127.0.0.1:${String(port)}`],
  ['transport=wss', 'WSS', (port) => `sip:bob@127.0.0.1:${String(port)};transport=wss`],
];

describe('a client-only stack with tlsClient', () => {
  it.each(uris)('sends OPTIONS to a %s URI through the default resolver and gets the 200 over its connection', async (_name, protocol, uriFor) => {
    const uas = await secureUas();
    const { stack: uac } = await startStack({ udp: false, tcp: false, tlsClient: { ca: tls.cert } });
    expect(uac.transport.listening).toEqual([]);
    const rs = await uac.send(newRequest('OPTIONS', uriFor(uas.port(protocol)))).final;
    expect(rs.status).toBe(200);
    expect(uas.got).toHaveLength(1);
    expect(uas.got[0]!.headers.via![0]!.protocol).toBe(protocol);
    // One connection, opened by the UAC; the response came back over it.
    expect(uac.transport.stats.connectionsOpened).toBe(1);
    expect(uac.transport.stats.responsesReceived).toBe(1);
  });

  it.each(uris)('refuses a %s server whose certificate the CA did not sign: 503, nothing sent', async (_name, protocol, uriFor) => {
    const uas = await secureUas();
    const { stack: uac } = await startStack({ udp: false, tcp: false, tlsClient: { ca: stranger } });
    const rs = await uac.send(newRequest('OPTIONS', uriFor(uas.port(protocol)))).final;
    expect(rs.status).toBe(503);
    // The target was tried (and its handshake failed), not left unresolved.
    expect(uac.transport.stats.sendErrors).toBe(1);
    expect(uas.got).toHaveLength(0);
  });

  it.each(uris)('without tlsClient (and no listener) a %s URI has no usable transport: 503', async (_name, protocol, uriFor) => {
    const uas = await secureUas();
    const { stack: uac } = await startStack({ udp: false, tcp: false });
    const rs = await uac.send(newRequest('OPTIONS', uriFor(uas.port(protocol)))).final;
    expect(rs.status).toBe(503);
    expect(uac.transport.stats.connectionsOpened).toBe(0);
    expect(uac.transport.stats.sendErrors).toBe(0);
    expect(uas.got).toHaveLength(0);
  });
});
