import { makeResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { createUa, type TestUa } from './helpers.js';
import { useTestServer } from './use-test-server.js';

const fx = useTestServer();

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function answerWith(u: TestUa, status: number): void {
  u.answer = (rq, st) => {
    void st.respond(makeResponse(rq, status, undefined, { toTag: generateTag(), headers: { contact: [{ uri: u.contactUri, params: {} }], ...(rq.headers['record-route'] !== undefined ? { 'record-route': rq.headers['record-route'] } : {}) } }));
  };
}

describe('routing (RFC 3261 §16)', () => {
  it('forks an INVITE to both of bob’s contacts with Record-Route, and routes the BYE back', async () => {
    const bob1 = await fx.ua('bob', 'UDP');
    const bob2 = await fx.ua('bob', 'UDP');
    expect((await bob1.register()).status).toBe(200);
    expect((await bob2.register()).status).toBe(200);
    answerWith(bob1, 486);
    answerWith(bob2, 200);
    const alice = await fx.ua('alice', 'UDP');
    const invite = alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }], 'content-type': 'application/sdp' }, SDP);
    const rs = await alice.send(invite);
    expect(rs.status).toBe(200);
    expect(bob1.received.map((r) => r.request.method)).toContain('INVITE');
    expect(bob2.received.map((r) => r.request.method)).toContain('INVITE');
    const atBob = bob2.received.find((r) => r.request.method === 'INVITE')?.request;
    expect(atBob?.uri).toBe(bob2.contactUri);
    expect(atBob?.headers['record-route']).toHaveLength(1);
    expect(atBob?.headers['proxy-authorization']).toBeUndefined();
    // In-dialog BYE along the route set (RFC 3261 §12.2.1.1).
    const bye = alice.inDialog('BYE', rs);
    const before = bob2.received.length;
    expect((await alice.sendRaw(bye)).status).toBe(200);
    expect(bob2.received.length).toBe(before + 1);
    expect(bob2.received.at(-1)?.request.method).toBe('BYE');
  });

  it('tries contacts one at a time by q in sequential mode', async () => {
    await fx.restart({ routing: { forking: 'sequential' } });
    const low = await fx.ua('bob', 'UDP');
    const high = await fx.ua('bob', 'UDP');
    expect((await high.register({ contact: [{ uri: high.contactUri, params: { q: '0.9' } }] })).status).toBe(200);
    expect((await low.register({ contact: [{ uri: low.contactUri, params: { q: '0.1' } }] })).status).toBe(200);
    answerWith(high, 200);
    answerWith(low, 200);
    const alice = await fx.ua('alice', 'UDP');
    const rs = await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'hi'));
    expect(rs.status).toBe(200);
    expect(high.received).toHaveLength(1);
    expect(low.received).toHaveLength(0);
  });

  it('answers an authenticated caller 404 for an unknown user and 480 for a user with no bindings', async () => {
    const alice = await fx.ua('alice', 'UDP');
    expect((await alice.send(alice.request('INVITE', 'sip:nobody@localhost', 'sip:nobody@localhost'))).status).toBe(404);
    expect((await alice.send(alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost'))).status).toBe(480);
  });

  it('challenges a local caller with 407 and refuses a wrong password', async () => {
    const alice = await fx.ua('alice', 'UDP');
    const first = await alice.sendRaw(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'));
    expect(first.status).toBe(407);
    // The 407 is the server's own final response: it carries a To tag (RFC 3261 §8.2.6.2).
    expect(first.headers.to?.params.tag).toEqual(expect.any(String));
    expect(first.headers['proxy-authenticate']?.length).toBe(2);
    const mallory = await fx.ua('alice', 'UDP', 'nope');
    expect((await mallory.send(mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'))).status).toBe(407);
  });

  it('lets a caller from another domain reach a local user without a challenge, and refuses relaying', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    const stranger = await fx.ua('mallory', 'UDP');
    const rq = stranger.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'hello');
    rq.headers.from = { uri: 'sip:mallory@example.org', params: { tag: generateTag() } };
    expect((await stranger.sendRaw(rq)).status).toBe(200);
    const relay = stranger.request('MESSAGE', 'sip:someone@example.net', 'sip:someone@example.net');
    relay.headers.from = { uri: 'sip:mallory@example.org', params: { tag: generateTag() } };
    expect((await stranger.sendRaw(relay)).status).toBe(403);
  });

  it('routes a request to a contact registered through an edge proxy via its Path (RFC 3327 §5.3)', async () => {
    const edge = await fx.ua('edge', 'UDP');
    const bob = await fx.ua('bob', 'UDP');
    const edgeUri = `sip:127.0.0.1:${String(edge.stack.transport.listening[0]?.port)};lr`;
    expect((await bob.register({ headers: { supported: 'path', path: [{ uri: edgeUri, params: {} }] } })).status).toBe(200);
    const alice = await fx.ua('alice', 'UDP');
    const rs = await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'via edge'));
    expect(rs.status).toBe(200);
    expect(bob.received).toHaveLength(0);
    const atEdge = edge.received[0]?.request;
    expect(atEdge?.uri).toBe(bob.contactUri);
    expect(atEdge?.headers.route).toHaveLength(1);
  });

  it('keeps a plain TCP binding when its connection closes and reaches its Contact over a new one (RFC 3261 §10.3)', async () => {
    const listener = await fx.ua('bob', 'TCP');
    const registrar = await createUa(fx.srv, 'bob', 'TCP');
    expect((await registrar.register({ contact: [{ uri: listener.contactUri, params: {} }] })).status).toBe(200);
    const [before] = await fx.srv.store.lookup('sip:bob@localhost', fx.srv.clock.now);
    expect(before?.flow?.protocol).toBe('TCP');
    await registrar.close();
    const alice = await fx.ua('alice', 'UDP');
    // Wait (bounded) until the server has seen the connection close.
    const flowsOpen = async (): Promise<boolean> => /^sipts_active_flows 0$/m.test((await fx.srv.server.metrics?.registry.metrics()) ?? '');
    for (let i = 0; i < 200 && !(await flowsOpen()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await flowsOpen()).toBe(true);
    expect(await fx.srv.store.lookup('sip:bob@localhost', fx.srv.clock.now)).toHaveLength(1);
    const rs = await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'over tcp'));
    expect(rs.status).toBe(200);
    expect(listener.received[0]?.request.content).toBe('over tcp');
  });

  it('answers OPTIONS to the server itself', async () => {
    const alice = await fx.ua('alice', 'UDP');
    const rs = await alice.sendRaw(alice.request('OPTIONS', 'sip:localhost', 'sip:localhost'));
    expect(rs.status).toBe(200);
    expect(rs.headers.allow).toContain('MESSAGE');
  });

  it('routes MESSAGE between a WebSocket user and a UDP user, both ways (RFC 3428, RFC 7118)', async () => {
    const alice = await fx.ua('alice', 'WS');
    const bob = await fx.ua('bob', 'UDP');
    expect((await alice.register()).status).toBe(200);
    expect((await bob.register()).status).toBe(200);
    const [binding] = await fx.srv.store.lookup('sip:alice@localhost', fx.srv.clock.now);
    expect(binding?.flow?.protocol).toBe('WS');
    const toAlice = await bob.send(bob.request('MESSAGE', 'sip:alice@localhost', 'sip:alice@localhost', { 'content-type': 'text/plain' }, 'hi alice'));
    expect(toAlice.status).toBe(200);
    expect(alice.received[0]?.request.content).toBe('hi alice');
    expect(alice.received[0]?.remote.protocol).toBe('WS');
    const toBob = await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'hi bob'));
    expect(toBob.status).toBe(200);
    expect(bob.received[0]?.request.content).toBe('hi bob');
  });

  it('bridges an INVITE from UDP to a WebSocket user with a double Record-Route (RFC 5658) and routes the BYE over the flow', async () => {
    const alice = await fx.ua('alice', 'WS');
    expect((await alice.register()).status).toBe(200);
    answerWith(alice, 200);
    const bob = await fx.ua('bob', 'UDP');
    const rs = await bob.send(bob.request('INVITE', 'sip:alice@localhost', 'sip:alice@localhost', { contact: [{ uri: bob.contactUri, params: {} }], 'content-type': 'application/sdp' }, SDP));
    expect(rs.status).toBe(200);
    const rr = rs.headers['record-route'] ?? [];
    expect(rr).toHaveLength(2);
    const bye = bob.inDialog('BYE', rs);
    expect((await bob.sendRaw(bye)).status).toBe(200);
    expect(alice.received.at(-1)?.request.method).toBe('BYE');
  });
});
