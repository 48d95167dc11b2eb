import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUa, startServer, type TestServer, type TestUa } from './helpers.js';

let srv: TestServer;
const uas: TestUa[] = [];
async function ua(user: string, protocol: 'UDP' | 'TCP' | 'WS', password?: string): Promise<TestUa> {
  const u = await createUa(srv, user, protocol, password);
  uas.push(u);
  return u;
}

beforeEach(async () => {
  srv = await startServer({ registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 3600 } });
});
afterEach(async () => {
  for (const u of uas.splice(0)) await u.close();
  await srv.stop();
});

describe('REGISTER (RFC 3261 §10.3)', () => {
  it('challenges with 401 (SHA-256 then MD5), then registers and lists the binding', async () => {
    const alice = await ua('alice', 'UDP');
    const first = await alice.sendRaw(alice.registerRequest({ expires: 600, headers: { 'user-agent': 'sipts-test/1.0' } }));
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['SHA-256', 'MD5']);
    const rs = await alice.send(alice.registerRequest({ expires: 600 }));
    expect(rs.status).toBe(200);
    expect(rs.headers.contact).toHaveLength(1);
    expect(rs.headers.contact?.[0]?.uri).toBe(alice.contactUri);
    expect(Number(rs.headers.contact?.[0]?.params.expires)).toBe(600);
    expect(typeof rs.headers.date).toBe('string');
    expect(alice.auth.verify(rs)).toBe(true);
    const stored = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(stored.map((b) => b.contact)).toEqual([alice.contactUri]);
  });

  it('sends the challenges in the configured order, and a legacy MD5 client registers', async () => {
    await srv.stop();
    srv = await startServer({ auth: { algorithms: ['MD5', 'SHA-256'] } });
    const alice = await ua('alice', 'UDP');
    const rq = alice.registerRequest();
    const challenge = await alice.sendRaw(rq);
    expect(challenge.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['MD5', 'SHA-256']);
  });

  it('offers MD5 first to a client without User-Agent, and our digest client still answers SHA-256', async () => {
    const alice = await ua('alice', 'UDP');
    const rq = alice.registerRequest();
    const challenge = await alice.sendRaw(rq);
    expect(challenge.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['MD5', 'SHA-256']);
    const again = alice.auth.authorize(rq, challenge);
    expect(again.headers.authorization?.[0]?.algorithm).toBe('SHA-256');
    expect((await alice.sendRaw(again)).status).toBe(200);
  });

  it('offers baresip MD5 only (auth.clients)', async () => {
    const alice = await ua('alice', 'UDP');
    const challenge = await alice.sendRaw(alice.registerRequest({ headers: { 'user-agent': 'baresip v1.0.0 (x86_64/linux)' } }));
    expect(challenge.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['MD5']);
  });

  it('accepts an MD5-only client', async () => {
    const alice = await ua('alice', 'UDP');
    const { createDigestClient } = await import('@sipts/digest');
    const md5 = createDigestClient({ username: 'alice', password: 'alice-secret', algorithms: ['MD5'] });
    const rq = alice.registerRequest();
    const challenge = await alice.sendRaw(rq);
    const rs = await alice.sendRaw(md5.authorize(rq, challenge));
    expect(rs.status).toBe(200);
  });

  it('refuses a wrong password (401 again) and counts it', async () => {
    const mallory = await ua('alice', 'UDP', 'wrong');
    const rs = await mallory.register();
    expect(rs.status).toBe(401);
    const text = await srv.server.metrics?.registry.metrics();
    expect(text).toMatch(/sipts_register_rejected_total\{reason="auth-wrong-password"\} 1/);
  });

  it('answers an expired nonce with stale=true (RFC 7616 §3.3)', async () => {
    const alice = await ua('alice', 'UDP');
    const rq = alice.registerRequest();
    const challenge = await alice.sendRaw(rq);
    srv.clock.now += 600_000;
    const rs = await alice.sendRaw(alice.auth.authorize(rq, challenge));
    expect(rs.status).toBe(401);
    expect(rs.headers['www-authenticate']?.[0]?.stale).toBe('true');
  });

  it('challenges an AOR that is not a configured user, and refuses its credentials like a wrong password', async () => {
    const carol = await ua('carol', 'UDP');
    // No 404 before the credentials (no enumeration): 401, then 401 again for any password.
    expect((await carol.register()).status).toBe(401);
  });

  it('answers 403 when alice authenticates to register bob', async () => {
    const alice = await ua('alice', 'UDP');
    const rq = alice.request('REGISTER', 'sip:localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }] });
    expect((await alice.send(rq)).status).toBe(403);
  });

  it('answers 423 with Min-Expires below the minimum, and clamps above the maximum', async () => {
    const alice = await ua('alice', 'UDP');
    const brief = await alice.register({ expires: 10 });
    expect(brief.status).toBe(423);
    expect(brief.headers['min-expires']).toBe('60');
    const long = await alice.register({ expires: 99_999 });
    expect(long.status).toBe(200);
    expect(Number(long.headers.contact?.[0]?.params.expires)).toBe(3600);
  });

  it('keeps several contacts ordered by q, and removes one with expires=0', async () => {
    const alice = await ua('alice', 'UDP');
    const rs = await alice.register({
      contact: [
        { uri: 'sip:alice@127.0.0.1:40001', params: { q: '0.2' } },
        { uri: 'sip:alice@127.0.0.1:40002', params: { q: '0.9' } },
      ],
    });
    expect(rs.status).toBe(200);
    expect(rs.headers.contact?.map((c) => c.uri)).toEqual(['sip:alice@127.0.0.1:40002', 'sip:alice@127.0.0.1:40001']);
    const removed = await alice.register({ contact: [{ uri: 'sip:alice@127.0.0.1:40002', params: { expires: '0' } }] });
    expect(removed.headers.contact?.map((c) => c.uri)).toEqual(['sip:alice@127.0.0.1:40001']);
  });

  it('Contact * with Expires 0 removes every binding; without Expires 0 it is a 400', async () => {
    const alice = await ua('alice', 'UDP');
    expect((await alice.register()).status).toBe(200);
    const bad = await alice.register({ contact: [{ uri: '*', params: {} }] });
    expect(bad.status).toBe(400);
    const rs = await alice.register({ contact: [{ uri: '*', params: {} }], expires: 0 });
    expect(rs.status).toBe(200);
    expect(rs.headers.contact).toBeUndefined();
    expect(await srv.store.lookup('sip:alice@localhost', srv.clock.now)).toEqual([]);
  });

  it('rejects an out-of-order CSeq for the same Call-ID (§10.3 step 7)', async () => {
    const alice = await ua('alice', 'UDP');
    expect((await alice.register()).status).toBe(200);
    alice.cseq = 1;
    const rs = await alice.register();
    expect(rs.status).toBe(500);
  });

  it('lets a binding expire with the clock', async () => {
    const alice = await ua('alice', 'UDP');
    expect((await alice.register({ expires: 60 })).status).toBe(200);
    expect(await srv.store.lookup('sip:alice@localhost', srv.clock.now)).toHaveLength(1);
    srv.clock.now += 61_000;
    expect(await srv.store.lookup('sip:alice@localhost', srv.clock.now)).toHaveLength(0);
    const bob = await ua('bob', 'UDP');
    const rs = await bob.send(bob.request('MESSAGE', 'sip:alice@localhost', 'sip:alice@localhost', { 'content-type': 'text/plain' }, 'hi'));
    expect(rs.status).toBe(480);
  });

  it('stores and echoes a Path whose top entry is the hop that sent the REGISTER (RFC 3327 §5.3)', async () => {
    const alice = await ua('alice', 'UDP');
    // An edge proxy on 127.0.0.1 (the address the REGISTER comes from) added the top entry.
    const path = [{ uri: 'sip:127.0.0.1:5099;lr', params: {} }, { uri: 'sip:127.0.0.3;lr', params: {} }];
    const rs = await alice.register({ headers: { supported: 'path', path } });
    expect(rs.status).toBe(200);
    expect(rs.headers.path).toHaveLength(2);
    const [b] = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(b?.path).toEqual(['sip:127.0.0.1:5099;lr', 'sip:127.0.0.3;lr']);
  });

  it("drops a Path that no hop next to the server added: a phone's own Path cannot route its calls elsewhere (issue 16 finding 12)", async () => {
    const alice = await ua('alice', 'UDP');
    // Sent straight from 127.0.0.1, with a Path naming another host: the phone's own claim.
    const rs = await alice.register({ headers: { supported: 'path', path: [{ uri: 'sip:127.0.0.2;lr', params: {} }] } });
    expect(rs.status).toBe(200);
    expect(rs.headers.path).toBeUndefined();
    const [b] = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(b?.path ?? []).toEqual([]);
    expect((await srv.server.metrics?.registry.metrics()) ?? '').toMatch(/sipts_trust_total\{rule="path-dropped"\} 1/);
  });

  it('keeps an RFC 5626 flow over TCP, answers Require: outbound, and drops the binding when the flow closes', async () => {
    const alice = await ua('alice', 'TCP');
    const rs = await alice.register({
      headers: { supported: 'outbound, path' },
      contact: [{ uri: `${alice.contactUri};ob`, params: { '+sip.instance': '"<urn:uuid:00000000-0000-0000-0000-000000000001>"', 'reg-id': '1' } }],
    });
    expect(rs.status).toBe(200);
    expect(rs.headers.require).toBe('outbound');
    expect(rs.headers.contact?.[0]?.params['reg-id']).toBe('1');
    const [b] = await srv.store.lookup('sip:alice@localhost', srv.clock.now);
    expect(b?.flow?.protocol).toBe('TCP');
    expect(b?.key).toBe('<urn:uuid:00000000-0000-0000-0000-000000000001>;1');
    expect(b?.owner).toBe(srv.server.instanceId);
    await alice.close();
    uas.splice(uas.indexOf(alice), 1);
    for (let i = 0; i < 100 && (await srv.store.lookup('sip:alice@localhost', srv.clock.now)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await srv.store.lookup('sip:alice@localhost', srv.clock.now)).toEqual([]);
  });

  it('limits REGISTERs per source with 503 and Retry-After', async () => {
    await srv.stop();
    srv = await startServer({ limits: { registerPerSecondPerSource: 2 } });
    const alice = await ua('alice', 'UDP');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await alice.sendRaw(alice.registerRequest())).status);
    expect(statuses).toContain(503);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    const text = await srv.server.metrics?.registry.metrics();
    expect(text).toMatch(/sipts_register_rejected_total\{reason="rate-limit"\} [1-9]/);
  });
});
