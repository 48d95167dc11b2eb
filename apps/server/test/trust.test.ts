/**
 * The trust rules of the router (issue 16, findings 1–6), each written to fail on the code before
 * them: forged in-dialog requests are not relayed (1), a local From is authenticated whatever its
 * To tag and however its domain is spelled (2), ACKs are forwarded only within dialogs we
 * record-routed (3), a caller's Route does not survive on requests to local users (4), the
 * contact-to-flow memory is filled only by authenticated requests (5), and P-Asserted-Identity
 * from outside is removed (6, RFC 3325 §5). The "foreign" host is 127.0.0.2, a peer of our own.
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import { createStack } from '@sipts/transaction/node';
import { generateTag } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { TestUa, type TestServer } from './helpers.js';
import { udpPeer } from './interop/raw.js';
import { useTestServer } from './use-test-server.js';

const fx = useTestServer();

const closers: (() => Promise<void>)[] = [];

/** A UA listening on UDP at `address` (e.g. the foreign 127.0.0.2) that answers 200. */
async function uaAt(srv: TestServer, user: string, address: string): Promise<TestUa> {
  const stack = createStack({ address, udp: { port: 0 }, tcp: false, resolver: () => Promise.resolve([srv.target('UDP')]) });
  await stack.start();
  const ua = new TestUa(stack, user, 'UDP', srv, 'x');
  closers.push(() => ua.close());
  return ua;
}

/** Our own Route entry, as a phone would put it in front of a forged request. */
function serverRoute(): { uri: string; params: Record<string, string> } {
  return { uri: `sip:127.0.0.1:${String(fx.srv.target('UDP').port)};lr`, params: {} };
}

function from(uri: string): NonNullable<SipRequest['headers']['from']> {
  return { uri, params: { tag: generateTag() } };
}

async function cleanup(): Promise<void> {
  for (const c of closers.splice(0)) await c();
}

describe('finding 1: no open relay through a forged in-dialog request', () => {
  for (const method of ['INVITE', 'MESSAGE', 'BYE']) {
    it(`refuses a ${method} with a To tag and our Route to a foreign host (fails before issue 16: relayed, 200)`, async () => {
      const victim = await uaAt(fx.srv, '900', '127.0.0.2');
      const mallory = await fx.ua('mallory', 'UDP');
      const target = `sip:900@127.0.0.2:${String(victim.stack.transport.listening[0]?.port)}`;
      const rq = mallory.request(method, target, target, { route: [serverRoute()], contact: [{ uri: mallory.contactUri, params: {} }] });
      rq.headers.from = from('sip:x@example.org');
      rq.headers.to = { uri: target, params: { tag: 't1' } };
      const rs = await mallory.sendRaw(rq);
      expect(rs.status).toBe(403);
      expect(victim.received).toHaveLength(0);
      await cleanup();
    });
  }
});

describe('finding 1, with a real token: a stranger’s dialog with bob is no relay either', () => {
  it('refuses a request of that dialog, in either direction, to a host that is not the other party', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    bob.answer = (rq, st) => {
      void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact: [{ uri: bob.contactUri, params: {} }], ...(rq.headers['record-route'] !== undefined ? { 'record-route': rq.headers['record-route'] } : {}) } }));
    };
    const victim = await uaAt(fx.srv, '900', '127.0.0.2');
    const elsewhere = `sip:900@127.0.0.2:${String(victim.stack.transport.listening[0]?.port)}`;
    const mallory = await fx.ua('mallory', 'UDP');
    const invite = mallory.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: mallory.contactUri, params: {} }] });
    invite.headers.from = from('sip:x@example.org');
    const ok = await mallory.sendRaw(invite);
    expect(ok.status).toBe(200);
    // The token is good for the dialog: mallory's BYE to bob's Contact goes through.
    const toVictim = mallory.inDialog('MESSAGE', ok);
    toVictim.uri = elsewhere; // same Call-ID, tags and token, another target
    expect((await mallory.sendRaw(toVictim)).status).toBe(403);
    // The other direction, forged by mallory: From bob with bob's tag, To mallory with hers.
    const reverse = mallory.inDialog('MESSAGE', ok);
    const { from: f, to: t } = reverse.headers;
    if (f === undefined || t === undefined) throw new Error('no From/To');
    Object.assign(reverse.headers, { from: t, to: f });
    reverse.uri = elsewhere;
    expect((await mallory.sendRaw(reverse)).status).toBe(407);
    expect(victim.received).toHaveLength(0);
    expect((await mallory.sendRaw(mallory.inDialog('BYE', ok))).status).toBe(200);
    expect(bob.received.map((r) => r.request.method)).toEqual(['INVITE', 'BYE']);
    await cleanup();
  });
});

describe('finding 2: a local From is authenticated whatever its To tag', () => {
  it('challenges an INVITE and a MESSAGE from alice with a To tag (fails before issue 16: reached bob)', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    const mallory = await fx.ua('alice', 'UDP', 'wrong');
    for (const method of ['INVITE', 'MESSAGE']) {
      const rq = mallory.request(method, 'sip:bob@localhost', 'sip:bob@localhost', { route: [serverRoute()] });
      rq.headers.to = { uri: 'sip:bob@localhost', params: { tag: 't1' } };
      expect((await mallory.sendRaw(rq)).status).toBe(407);
    }
    expect(bob.received).toHaveLength(0);
  });

  for (const lookalike of ['sip:alice@localhost.', 'sip:alice@127.1', 'sip:alice@[::ffff:127.0.0.1]', 'sip:%61lice@LOCALHOST']) {
    it(`challenges ${lookalike} as alice (fails before issue 16: passed as a foreign caller)`, async () => {
      const bob = await fx.ua('bob', 'UDP');
      expect((await bob.register()).status).toBe(200);
      const mallory = await fx.ua('mallory', 'UDP');
      const rq = mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'spoofed');
      rq.headers.from = from(lookalike);
      expect((await mallory.sendRaw(rq)).status).toBe(407);
      expect(bob.received).toHaveLength(0);
    });
  }
});

describe('finding 3: ACKs only within dialogs we record-routed', () => {
  it('does not forward a lone ACK to a foreign host (fails before issue 16: relayed statelessly)', async () => {
    // The victim is a raw socket (it sees ACKs too); bob is registered at its address, so a
    // MESSAGE to bob sent after the ACK marks the end of what the ACK could have caused. The
    // MESSAGE stays unanswered: no grace period for it at the stop.
    await fx.restart({ limits: { shutdownGraceSeconds: 0 } });
    const victim = await udpPeer('127.0.0.2');
    closers.push(() => victim.close());
    const contact = `sip:bob@127.0.0.2:${String(victim.port)}`;
    const registrar = await fx.ua('bob', 'UDP');
    expect((await registrar.register({ contact: [{ uri: contact, params: {} }] })).status).toBe(200);
    const mallory = await fx.ua('mallory', 'UDP');
    const target = `sip:900@127.0.0.2:${String(victim.port)}`;
    const ack = mallory.request('ACK', target, target, { route: [serverRoute()], 'content-type': 'text/plain' }, 'any body');
    ack.headers.from = from('sip:x@example.org');
    ack.headers.to = { uri: target, params: { tag: 't1' } };
    await mallory.stack.sendAck(ack, { target: fx.srv.target('UDP') });
    const marker = mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'content-type': 'text/plain' }, 'marker');
    marker.headers.from = from('sip:x@example.org');
    void mallory.sendRaw(marker);
    const got = await victim.collect(1, 5000);
    expect(got.map((m) => m.split(' ')[0])).toEqual(['MESSAGE']);
    await cleanup();
  });
});

describe('finding 4: a caller’s Route does not survive on requests to local users', () => {
  it('sends a MESSAGE for bob to bob, not along the caller’s Route (fails before issue 16: sent to 127.0.0.2)', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    const victim = await uaAt(fx.srv, 'evil', '127.0.0.2');
    const mallory = await fx.ua('mallory', 'UDP');
    const evil = { uri: `sip:127.0.0.2:${String(victim.stack.transport.listening[0]?.port)};lr`, params: {} };
    const rq = mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { route: [serverRoute(), evil], 'content-type': 'text/plain' }, 'hi');
    rq.headers.from = from('sip:x@example.org');
    expect((await mallory.sendRaw(rq)).status).toBe(200);
    expect(victim.received).toHaveLength(0);
    expect(bob.received).toHaveLength(1);
    expect(bob.received[0]?.request.headers.route).toBeUndefined();
    await cleanup();
  });
});

describe('finding 5: contact memory only from authenticated requests', () => {
  it('an unauthenticated TCP OPTIONS with bob’s Contact does not capture bob’s BYE (fails before issue 16)', async () => {
    const bob = await fx.ua('bob', 'WS');
    expect((await bob.register()).status).toBe(200);
    bob.answer = (rq, st) => {
      void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact: [{ uri: bob.contactUri, params: {} }], ...(rq.headers['record-route'] !== undefined ? { 'record-route': rq.headers['record-route'] } : {}) } }));
    };
    const mallory = await fx.ua('mallory', 'TCP');
    const probe = mallory.request('OPTIONS', 'sip:localhost', 'sip:localhost', { contact: [{ uri: bob.contactUri, params: {} }] });
    probe.headers.from = from('sip:x@example.org');
    expect((await mallory.sendRaw(probe)).status).toBe(200);
    const alice = await fx.ua('alice', 'UDP');
    const rs = await alice.send(alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }] }));
    expect(rs.status).toBe(200);
    expect((await alice.sendRaw(alice.inDialog('BYE', rs))).status).toBe(200);
    expect(bob.received.map((r) => r.request.method)).toEqual(['INVITE', 'BYE']);
    expect(mallory.received).toHaveLength(0);
  });
});

describe('finding 6: P-Asserted-Identity at the trust boundary (RFC 3325 §5)', () => {
  it('removes a P-Asserted-Identity from outside (fails before issue 16: passed through)', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    const mallory = await fx.ua('mallory', 'UDP');
    const rq = mallory.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'p-asserted-identity': '<sip:alice@localhost>', 'p-preferred-identity': '<sip:alice@localhost>', 'content-type': 'text/plain' }, 'hi');
    rq.headers.from = from('sip:x@example.org');
    expect((await mallory.sendRaw(rq)).status).toBe(200);
    expect(bob.received[0]?.request.headers['p-asserted-identity']).toBeUndefined();
    expect(bob.received[0]?.request.headers['p-preferred-identity']).toBeUndefined();
  });

  it('with routing.assertIdentity, asserts the authenticated identity instead of the caller’s', async () => {
    await fx.restart({ routing: { assertIdentity: true } });
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    const alice = await fx.ua('alice', 'UDP');
    const rs = await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost', { 'p-asserted-identity': '<sip:carol@localhost>', 'content-type': 'text/plain' }, 'hi'));
    expect(rs.status).toBe(200);
    expect(bob.received[0]?.request.headers['p-asserted-identity']).toEqual(expect.stringContaining('<sip:alice@localhost>'));
  });
});
