/**
 * The server on every transport of issue 8 over real loopback sockets: IPv6 (`::1` and the
 * dual-stack `::`), TLS and secure WebSocket with a self-signed certificate made at test time.
 * The user agents are our own stack and digest client.
 * @see RFC 3261 §18, §25.1, §26.2; RFC 5118; RFC 7118 §5
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeResponse, stringifyUri, type RouteEntry, type SipRequest, type SipResponse } from '@sipts/message';
import { createStack, type StackOptions } from '@sipts/transaction/node';
import { generateTag, type Target, type TransportProtocol } from '@sipts/transport';
import { freePort, runTool, until } from '@sipts/test-peers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORDS, startServer, TestUa, type TestServer } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A UA whose Contact is given (IPv6 literal; `.invalid` hosts for TLS and WebSocket, reached over their connections). */
class Ua extends TestUa {
  contact = '';
  override get contactUri(): string {
    return this.contact;
  }
}

interface UaOptions {
  /** The server address the UA sends to. */
  to: string;
  /** The UA's own listen address. Default `to`. */
  local?: string;
  /** For TLS and WSS: the certificate the UA trusts (as its CA: it is self-signed). */
  tls?: { key: string; cert: string };
}

function portOf(srv: TestServer, p: TransportProtocol): number {
  const n = { UDP: srv.server.ports.udp, TCP: srv.server.ports.tcp, TLS: srv.server.ports.tls, WS: srv.server.ports.ws, WSS: srv.server.ports.wss }[p];
  if (n === undefined) throw new Error(`the server reports no ${p} port`);
  return n;
}

function bracket(a: string): string {
  return a.includes(':') ? `[${a}]` : a;
}

/** A started UA for `user` reaching `srv` over `protocol` at `o.to`; closed after the test. */
async function ua(srv: TestServer, user: string, protocol: TransportProtocol, o: UaOptions): Promise<Ua> {
  const target = (p: TransportProtocol): Target => ({ protocol: p, address: o.to, port: portOf(srv, p) });
  const local = o.local ?? o.to;
  const secure = protocol === 'TLS' || protocol === 'WSS';
  if (secure && o.tls === undefined) throw new Error('TLS and WSS need a certificate');
  const options: StackOptions = {
    address: local,
    udp: protocol === 'UDP' ? { port: 0 } : false,
    tcp: protocol === 'TCP' ? { port: 0 } : false,
    // A TLS/WSS UA only connects out (no listener): the server reaches it over its connection.
    ...(secure && o.tls !== undefined ? { tlsClient: { ca: o.tls.cert } } : {}),
    resolver: () => Promise.resolve([target(protocol)]),
  };
  const stack = createStack(options);
  await stack.start();
  const u = new Ua(stack, user, protocol, { ...srv, target }, PASSWORDS[user] ?? 'x');
  cleanups.push(() => u.close());
  const l = stack.transport.listening[0];
  const host = bracket(local);
  // Reachable only over their connections, TLS and WSS UAs name hosts that resolve to nothing.
  u.contact =
    protocol === 'WSS' || protocol === 'WS'
      ? `sip:${user}@${user}-browser.invalid;transport=ws`
      : protocol === 'TLS'
        ? `sip:${user}@${user}-tls.invalid;transport=tls`
        : `sip:${user}@${host}:${String(l?.port ?? 0)}${protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`}`;
  return u;
}

async function server(overrides: Record<string, unknown>): Promise<TestServer> {
  const srv = await startServer(overrides);
  cleanups.push(() => srv.stop());
  return srv;
}

/** REGISTER, its 401 and the REGISTER with credentials (RFC 3261 §10.2, §22.2). */
async function registerChallenged(u: Ua): Promise<[SipResponse, SipResponse]> {
  const rq = u.registerRequest();
  const first = await u.sendRaw(rq);
  expect(first.status).toBe(401);
  const again = u.auth.authorize(rq, first);
  u.cseq = (again.headers.cseq?.seq ?? u.cseq) + 1;
  return [first, await u.sendRaw(again)];
}

function answerWithContact(u: Ua): void {
  u.answer = (rq, st) => {
    void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact: [{ uri: u.contactUri, params: {} }], ...(rq.headers['record-route'] !== undefined ? { 'record-route': rq.headers['record-route'] } : {}) } }));
  };
}

function message(from: Ua, to: string, text: string): SipRequest {
  return from.request('MESSAGE', `sip:${to}@localhost`, `sip:${to}@localhost`, { 'content-type': 'text/plain' }, text);
}

function uriText(r: RouteEntry): string {
  return typeof r.uri === 'string' ? r.uri : stringifyUri(r.uri);
}

function lastOf(u: Ua, method: string): SipRequest {
  const rq = u.received.filter((r) => r.request.method === method).at(-1)?.request;
  if (rq === undefined) throw new Error(`${u.user} received no ${method}`);
  return rq;
}

describe('IPv6 (RFC 5118)', () => {
  it('registers over UDP and TCP on one port of ::1 with a digest challenge, and routes an INVITE and its BYE with bracketed Via and Record-Route', async () => {
    const port = await freePort('::1');
    const srv = await server({ listen: { address: '::1', udp: port, tcp: port } });
    expect([srv.server.ports.udp, srv.server.ports.tcp]).toEqual([port, port]);
    const alice = await ua(srv, 'alice', 'UDP', { to: '::1' });
    const bob = await ua(srv, 'bob', 'TCP', { to: '::1' });
    for (const u of [alice, bob]) {
      const [challenge, ok] = await registerChallenged(u);
      expect(challenge.headers['www-authenticate']?.length).toBeGreaterThan(0);
      expect(ok.status).toBe(200);
      expect(ok.headers.contact?.map((c) => (typeof c.uri === 'string' ? c.uri : stringifyUri(c.uri)))).toContain(u.contactUri);
    }
    const [binding] = await srv.store.lookup('sip:bob@localhost', srv.clock.now);
    expect(binding?.contact).toBe(bob.contactUri);
    expect(binding?.contact).toMatch(/^sip:bob@\[::1\]:\d+;transport=tcp$/);

    answerWithContact(bob);
    const invite = alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }] });
    const ok = await alice.send(invite);
    expect(ok.status).toBe(200);
    const atBob = lastOf(bob, 'INVITE');
    const [serverVia, aliceVia] = atBob.headers.via ?? [];
    expect(serverVia).toMatchObject({ protocol: 'TCP', host: '[::1]', port: portOf(srv, 'TCP') });
    expect(aliceVia).toMatchObject({ protocol: 'UDP', host: '[::1]' });
    // UDP in, TCP out: a Record-Route for each side (RFC 5658), both with the bracketed literal.
    const rr = (atBob.headers['record-route'] ?? []).map(uriText);
    expect(rr).toHaveLength(2);
    for (const r of rr) expect(r).toMatch(/^<?sip:\[::1\]:\d+;/);
    expect(rr.join(' ')).toContain(`[::1]:${String(portOf(srv, 'TCP'))};transport=tcp`);
    expect(rr.join(' ')).toContain(`[::1]:${String(portOf(srv, 'UDP'))};transport=udp`);

    const bye = alice.inDialog('BYE', ok);
    expect((await alice.sendRaw(bye)).status).toBe(200);
    expect(lastOf(bob, 'BYE').headers['call-id']).toBe(invite.headers['call-id']);

    const back = await bob.send(message(bob, 'alice', 'over v6'));
    expect(back.status).toBe(200);
    expect(lastOf(alice, 'MESSAGE').content).toBe('over v6');
    expect(lastOf(alice, 'MESSAGE').headers.via?.[0]).toMatchObject({ protocol: 'UDP', host: '[::1]', port: portOf(srv, 'UDP') });
  });

  it('serves IPv4 and IPv6 clients on one dual-stack (::) listener', async () => {
    const srv = await server({ listen: { address: '::' } });
    const alice = await ua(srv, 'alice', 'UDP', { to: '127.0.0.1' });
    const bob = await ua(srv, 'bob', 'UDP', { to: '::1' });
    const aliceTcp = await ua(srv, 'alice', 'TCP', { to: '127.0.0.1' });
    const bobTcp = await ua(srv, 'bob', 'TCP', { to: '::1' });
    for (const u of [alice, bob, aliceTcp, bobTcp]) expect((await registerChallenged(u))[1].status).toBe(200);
    // The IPv4 clients are seen as 127.0.0.1 (not ::ffff:127.0.0.1), the IPv6 ones as ::1.
    const sources = async (aor: string): Promise<string[]> => (await srv.store.lookup(aor, srv.clock.now)).map((b) => b.source).sort();
    expect(await sources('sip:alice@localhost')).toEqual([expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/i), expect.stringMatching(/^udp:127\.0\.0\.1:\d+$/i)]);
    expect(await sources('sip:bob@localhost')).toEqual([expect.stringMatching(/^tcp:\[?::1\]?:\d+$/i), expect.stringMatching(/^udp:\[?::1\]?:\d+$/i)]);
    expect((await alice.send(message(alice, 'bob', 'from v4'))).status).toBe(200);
    // Parallel forking: both of bob's contacts (UDP and TCP on ::1) get it.
    expect(lastOf(bob, 'MESSAGE').content).toBe('from v4');
    expect(lastOf(bobTcp, 'MESSAGE').content).toBe('from v4');
    expect((await bob.send(message(bob, 'alice', 'from v6'))).status).toBe(200);
    expect(lastOf(alice, 'MESSAGE').content).toBe('from v6');
    expect(lastOf(aliceTcp, 'MESSAGE').content).toBe('from v6');
  });

  // On a wildcard bind without listen.publicAddress the bound address, `sip:[::]:port`, names no
  // host (and a UDP socket on a wildcard does not learn the address a datagram arrived on): the
  // server advertises an interface address instead (src/advertised-host.ts) and knows it as its own.
  it('record-routes with a reachable host on a dual-stack (::) bind without publicAddress, and takes its BYE', async () => {
    const srv = await server({ listen: { address: '::' } });
    const alice = await ua(srv, 'alice', 'UDP', { to: '127.0.0.1' });
    const bob = await ua(srv, 'bob', 'UDP', { to: '::1' });
    for (const u of [alice, bob]) expect((await u.register()).status).toBe(200);
    answerWithContact(bob);
    const ok = await alice.send(alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }] }));
    expect(ok.status).toBe(200);
    const rr = (ok.headers['record-route'] ?? []).map(uriText);
    expect(rr.length).toBeGreaterThan(0);
    for (const r of rr) expect(r).not.toMatch(/sip:(\[::\]|0\.0\.0\.0)[:;]/);
    // The BYE's Route names that host: the server must take it as its own, not forward it to itself.
    expect((await alice.sendRaw(alice.inDialog('BYE', ok))).status).toBe(200);
    expect(lastOf(bob, 'BYE').headers['call-id']).toBe(ok.headers['call-id']);
  });
});

describe('TLS and secure WebSocket (RFC 3261 §26.2, RFC 7118)', () => {
  let dir = '';
  let tls = { key: '', cert: '' };
  let files = { key: '', cert: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipts-tls-'));
    files = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem') };
    const r = await runTool(
      '/usr/bin/openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', '-keyout', files.key, '-out', files.cert],
      { timeoutMs: 20_000 },
    );
    if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    tls = { key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8') };
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const secureServer = (): Promise<TestServer> => server({ listen: { tls: { port: 0, ...files }, wss: { port: 0, ...files } } });

  it('reports the TLS and WSS ports it bound when configured with 0', async () => {
    const srv = await secureServer();
    const { tls: t, wss, udp, tcp, ws } = srv.server.ports;
    for (const p of [t, wss]) expect(p).toBeGreaterThan(0);
    expect(new Set([t, wss, tcp, ws]).size).toBe(4);
    expect(udp).toBeGreaterThan(0);
  });

  it('registers a UA over TLS and routes MESSAGEs and a call between it and a UDP user', async () => {
    const srv = await secureServer();
    const alice = await ua(srv, 'alice', 'TLS', { to: '127.0.0.1', tls });
    const bob = await ua(srv, 'bob', 'UDP', { to: '127.0.0.1' });
    const [challenge, ok] = await registerChallenged(alice);
    expect(challenge.headers.via?.[0]?.protocol).toBe('TLS');
    expect(ok.status).toBe(200);
    expect((await bob.register()).status).toBe(200);
    const [binding] = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(binding?.flow?.protocol).toBe('TLS');

    expect((await bob.send(message(bob, 'alice', 'to tls'))).status).toBe(200);
    const atAlice = lastOf(alice, 'MESSAGE');
    expect(atAlice.content).toBe('to tls');
    expect(alice.received.at(-1)?.remote.protocol).toBe('TLS');
    // RFC 3261 §18.1.1: the server's Via names the transport used and that transport's port.
    expect(atAlice.headers.via?.[0]).toMatchObject({ protocol: 'TLS', host: '127.0.0.1', port: portOf(srv, 'TLS') });

    expect((await alice.send(message(alice, 'bob', 'from tls'))).status).toBe(200);
    const atBob = lastOf(bob, 'MESSAGE');
    expect(atBob.content).toBe('from tls');
    expect(atBob.headers.via?.[1]?.protocol).toBe('TLS');

    answerWithContact(alice);
    const invite = bob.request('INVITE', 'sip:alice@localhost', 'sip:alice@localhost', { contact: [{ uri: bob.contactUri, params: {} }] });
    const answered = await bob.send(invite);
    expect(answered.status).toBe(200);
    const rr = (lastOf(alice, 'INVITE').headers['record-route'] ?? []).map(uriText).join(' ');
    expect(rr).toContain(`127.0.0.1:${String(portOf(srv, 'TLS'))};transport=tls`);
    expect((await bob.sendRaw(bob.inDialog('BYE', answered))).status).toBe(200);
    expect(lastOf(alice, 'BYE').headers['call-id']).toBe(invite.headers['call-id']);
  });

  it('refuses a TLS client that does not trust the certificate (no plaintext fallback)', async () => {
    const srv = await secureServer();
    const other = mkdtempSync(join(tmpdir(), 'sipts-tls-'));
    cleanups.push(() => {
      rmSync(other, { recursive: true, force: true });
      return Promise.resolve();
    });
    const r = await runTool('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(other, 'k.pem'), '-out', join(other, 'c.pem')], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    const stranger = { key: readFileSync(join(other, 'k.pem'), 'utf8'), cert: readFileSync(join(other, 'c.pem'), 'utf8') };
    const alice = await ua(srv, 'alice', 'TLS', { to: '127.0.0.1', tls: stranger });
    expect((await alice.sendRaw(alice.registerRequest())).status).toBe(503);
    expect(await srv.store.lookup('sip:alice@localhost', srv.clock.now)).toHaveLength(0);
  });

  it('carries TLS and WSS over IPv6 (::1) with bracketed Via hosts', async () => {
    const srv = await server({ listen: { address: '::1', tls: { port: 0, ...files }, wss: { port: 0, ...files } } });
    const alice = await ua(srv, 'alice', 'TLS', { to: '::1', tls });
    const bob = await ua(srv, 'bob', 'WSS', { to: '::1', tls });
    for (const u of [alice, bob]) expect((await registerChallenged(u))[1].status).toBe(200);
    expect((await alice.send(message(alice, 'bob', 'tls to wss'))).status).toBe(200);
    const atBob = lastOf(bob, 'MESSAGE');
    expect(atBob.content).toBe('tls to wss');
    expect(atBob.headers.via?.[0]).toMatchObject({ protocol: 'WSS', host: '[::1]', port: portOf(srv, 'WSS') });
    expect(atBob.headers.via?.[1]).toMatchObject({ protocol: 'TLS', host: '[::1]' });
    expect((await bob.send(message(bob, 'alice', 'wss to tls'))).status).toBe(200);
    expect(lastOf(alice, 'MESSAGE').headers.via?.[0]).toMatchObject({ protocol: 'TLS', host: '[::1]', port: portOf(srv, 'TLS') });
  });

  it('registers a UA over WSS, exchanges MESSAGEs with a UDP user, and drops the binding with the connection', async () => {
    const srv = await secureServer();
    const alice = await ua(srv, 'alice', 'WSS', { to: '127.0.0.1', tls });
    const bob = await ua(srv, 'bob', 'UDP', { to: '127.0.0.1' });
    const [, ok] = await registerChallenged(alice);
    expect(ok.status).toBe(200);
    expect((await bob.register()).status).toBe(200);
    const [binding] = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(binding?.flow?.protocol).toBe('WSS');

    expect((await bob.send(message(bob, 'alice', 'to wss'))).status).toBe(200);
    const atAlice = lastOf(alice, 'MESSAGE');
    expect(atAlice.content).toBe('to wss');
    expect(alice.received.at(-1)?.remote.protocol).toBe('WSS');
    expect(atAlice.headers.via?.[0]).toMatchObject({ protocol: 'WSS', port: portOf(srv, 'WSS') });
    expect((await alice.send(message(alice, 'bob', 'from wss'))).status).toBe(200);
    expect(lastOf(bob, 'MESSAGE').content).toBe('from wss');

    // RFC 7118 §5: the browser is reachable only over its connection; when it closes, so does the binding.
    await alice.close();
    await until(async () => (await srv.store.lookup('sip:alice@localhost', srv.clock.now)).length === 0, 5000, 'the WSS binding to be removed');
    expect((await bob.send(message(bob, 'alice', 'gone'))).status).toBe(480);
  });
});
