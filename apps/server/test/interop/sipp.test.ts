/**
 * sipts-server with Debian's sipp (sip-tester 3.6.1) on loopback (UDP, and TCP where said), one
 * fresh in-process server per test (a memory store the test can look into):
 * - registration with digest authentication (RFC 3261 §10, §22): 401 then 200; a wrong password
 *   gets 401 again and leaves no binding; a refresh keeps one binding; a short Expires expires;
 * - calls (RFC 3261 §16): a sipp UAS registered as bob, a sipp UAC as alice (407, then the
 *   authenticated INVITE), 180, 200, ACK and BYE through the server's Record-Route, and the other
 *   way round; a TCP caller to a UDP callee (double Record-Route); a callee registered over TCP
 *   whose connection closed; CANCEL of a ringing call (487); a registered-then-unregistered user
 *   (480); an unknown user (404).
 * sipp 3.6.1 answers only the first challenge and computes MD5 only: the server offers
 * `auth.algorithms: [MD5, SHA-256]` here, in that order (the last tests show sipp failing on
 * SHA-256 first without the client table, and the configured order reaching the wire).
 */
import { sleep } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/index.js';
import { register as rawRegister, udpPeer } from './raw.js';
import { REALM, metricsText, sample } from './server-harness.js';
import { logged, startSipp, tail, type SippRun } from './sipp.js';
import { sippCall, sippRegister } from './sipp-users.js';
import { useInteropServer } from './use-server.js';

const fx = useInteropServer('sipts-server-sipp-');

function remote(): string {
  return `127.0.0.1:${String(fx.server.udp)}`;
}

/** sipp ran every call successfully and exited 0. */
function passed(r: SippRun, calls = 1): void {
  expect(r.code, tail(r)).toBe(0);
  expect(r.successful, tail(r)).toBe(calls);
  expect(r.failed, tail(r)).toBe(0);
}

/** Registers `user` from sipp on `port` (a free one by default) with Expires `expires`. */
async function register(user: string, options: { port?: number; expires?: number; password?: string; scenario?: string } = {}): Promise<SippRun & { port: number }> {
  const s = await sippRegister(fx.work, remote(), user, options);
  return { ...(await s.done), port: s.port };
}

/** `caller` (alice by default) calls `callee` with `scenario` (a UAC). */
async function call(callee: string, scenario: string, caller = 'alice'): Promise<SippRun> {
  return (await sippCall(fx.work, remote(), scenario, { callee, caller })).done;
}

async function bindings(user: string): Promise<{ contact: string; expiresAt: number }[]> {
  return fx.store.lookup(`sip:${user}@${REALM}`, Date.now());
}

describe('registration with digest authentication', () => {
  it('bob and alice register: 401, then 200 with the Contact; the store holds their bindings', async () => {
    const bob = await register('bob');
    passed(bob);
    const alice = await register('alice');
    passed(alice);
    expect(logged(bob, 'REGISTER-200 contact')[0], tail(bob)).toContain(`127.0.0.1:${String(bob.port)}`);
    const b = await bindings('bob');
    expect(b.map((x) => x.contact)).toEqual([expect.stringContaining(`127.0.0.1:${String(bob.port)}`)]);
    expect(await bindings('alice')).toHaveLength(1);
    const m = await metricsText(fx.server.http);
    expect(sample(m, 'sipts_responses_total', { code: '401' })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sipts_registrations')).toBe(2);
  });

  it('a wrong password: 401 again, and no binding', async () => {
    const r = await register('bob', { password: 'not-bobs', scenario: 'register-wrong-password.xml' });
    passed(r);
    expect(await bindings('bob')).toEqual([]);
  });

  it('the check can fail: register.xml (expecting 200) with a wrong password fails its call', async () => {
    const r = await register('bob', { password: 'not-bobs' });
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.successful, tail(r)).toBe(0);
    expect(await bindings('bob')).toEqual([]);
  });

  it('a refresh from the same Contact keeps one binding and moves its expiry; a second Contact adds one', async () => {
    const first = await register('bob', { expires: 30 });
    passed(first);
    const before = await bindings('bob');
    expect(before).toHaveLength(1);
    await sleep(1100);
    passed(await register('bob', { port: first.port, expires: 60 }));
    const after = await bindings('bob');
    expect(after).toHaveLength(1);
    expect(after[0]?.expiresAt ?? 0).toBeGreaterThan((before[0]?.expiresAt ?? 0) + 20_000);
    passed(await register('bob'));
    expect(await bindings('bob')).toHaveLength(2);
  });

  it('a binding registered with Expires: 2 expires: a call afterwards gets 480', async () => {
    const r = await register('bob', { expires: 2 });
    passed(r);
    expect(logged(r, 'REGISTER-200 contact')[0], tail(r)).toMatch(/expires=2\b/);
    expect(await bindings('bob')).toHaveLength(1);
    await sleep(2600);
    expect(await bindings('bob')).toEqual([]);
    passed(await call('bob', 'call-rejected-480.xml'));
  });
});

describe('calls through the server', () => {
  it.each([
    ['alice', 'bob'],
    ['bob', 'alice'],
  ])('%s calls %s: 407, authenticated INVITE, 180, 200, ACK, BYE; the ACK and BYE traverse the Record-Route', async (caller, callee) => {
    const registered = await register(callee);
    passed(registered);
    passed(await register(caller));
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: registered.port, service: callee });
    const uac = await call(callee, 'call-uac.xml', caller);
    passed(uac);
    const b = await uas.done;
    passed(b);
    const here = `127.0.0.1:${String(fx.server.udp)}`;
    // The callee saw the server's Record-Route, and the server's Via on top of the INVITE, ACK and BYE.
    expect(logged(b, 'UAS-INVITE rr')[0], tail(b)).toContain(here);
    expect(logged(uac, 'UAC-200 record-route')[0], tail(uac)).toContain(here);
    for (const what of ['UAS-INVITE via', 'UAS-ACK via', 'UAS-BYE via']) expect(logged(b, what)[0], `${what}\n${tail(b)}`).toContain(here);
    const m = await metricsText(fx.server.http);
    expect(sample(m, 'sipts_requests_total', { method: 'INVITE' })).toBeGreaterThanOrEqual(2);
    // One ACK for the 407 (hop by hop), one ACK for the 200 through the Route set.
    expect(sample(m, 'sipts_requests_total', { method: 'ACK' })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sipts_requests_total', { method: 'BYE' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'sipts_responses_total', { code: '407' })).toBeGreaterThanOrEqual(1);
  });

  it('alice over TCP calls bob over UDP: the server record-routes twice (one entry per transport) and the dialog works', async () => {
    const bob = await register('bob');
    passed(bob);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: bob.port, service: 'bob' });
    const uac = await sippCall(fx.work, `127.0.0.1:${String(fx.server.tcp)}`, 'call-uac.xml', { protocol: 'TCP' });
    const a = await uac.done;
    passed(a);
    const b = await uas.done;
    passed(b);
    const udp = `127.0.0.1:${String(fx.server.udp)}`;
    // The top Record-Route is the callee's side (UDP); the caller's route set ends with the TCP side.
    expect(logged(b, 'UAS-INVITE rr')[0], tail(b)).toContain(`${udp};transport=udp`);
    for (const what of ['UAS-INVITE via', 'UAS-ACK via', 'UAS-BYE via']) expect(logged(b, what)[0], `${what}\n${tail(b)}`).toContain(udp);
    const m = await metricsText(fx.server.http);
    expect(sample(m, 'sipts_requests_total', { method: 'BYE' })).toBeGreaterThanOrEqual(1);
  });

  // RFC 3261 §10.3 keeps a binding until it expires; RFC 5626 §5.3 removes a binding when its
  // flow fails only for outbound registrations (+sip.instance and reg-id). A plain TCP UA that
  // registers and closes its connection (as sipp does when its REGISTER scenario ends) stays
  // reachable at its Contact: the server opens a new connection to it.
  it('bob registered over TCP without outbound keeps his binding after the connection closes, and a call reaches him on a new connection', async () => {
    const s = await sippRegister(fx.work, `127.0.0.1:${String(fx.server.tcp)}`, 'bob', { protocol: 'TCP' });
    const r = await s.done;
    passed(r);
    expect(logged(r, 'REGISTER-200 contact')[0], tail(r)).toMatch(/expires=60\b/);
    await sleep(300);
    expect(await bindings('bob')).toHaveLength(1);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', protocol: 'TCP', port: s.port, service: 'bob' });
    passed(await call('bob', 'call-uac.xml'));
    const b = await uas.done;
    passed(b);
    expect(logged(b, 'UAS-INVITE via')[0], tail(b)).toContain(`SIP/2.0/TCP 127.0.0.1:${String(fx.server.tcp)}`);
  });

  it('alice cancels a ringing call to bob: 200 for the CANCEL, 487 for the INVITE', async () => {
    const bob = await register('bob');
    passed(bob);
    const uas = await startSipp(fx.work, { scenario: 'ringing-uas.xml', port: bob.port, service: 'bob' });
    passed(await call('bob', 'cancel-uac.xml'));
    passed(await uas.done);
    const m = await metricsText(fx.server.http);
    expect(sample(m, 'sipts_requests_total', { method: 'CANCEL' })).toBeGreaterThanOrEqual(1);
  });

  it('bob registered, then unregistered (Expires: 0): a call gets 480', async () => {
    const bob = await register('bob');
    passed(bob);
    expect(await bindings('bob')).toHaveLength(1);
    passed(await register('bob', { port: bob.port, expires: 0 }));
    expect(await bindings('bob')).toEqual([]);
    passed(await call('bob', 'call-rejected-480.xml'));
  });

  it('a call to an unknown user gets 404', async () => {
    passed(await call('nobody', 'call-rejected-404.xml'));
  });

  it('the check can fail: a UAC expecting 480 fails when the callee is unknown (404)', async () => {
    const r = await call('nobody', 'call-rejected-480.xml');
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.successful).toBe(0);
  });
});

describe('what sipp 3.6.1 cannot do', () => {
  // On the default config sipp registers anyway: the client table (auth.clients) offers MD5 first
  // to requests without a User-Agent, as sipp's scenarios send (phones-on-defaults.test.ts).
  it('SHA-256 first without the client table: sipp answers only the first challenge and cannot compute SHA-256', async () => {
    await fx.restart({ store: createMemoryStore(), overrides: { auth: { algorithms: ['SHA-256', 'MD5'], clients: [] } } });
    const r = await register('bob');
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.errors).toContain('authentication must use MD5');
  });

  // The server sends the challenges in the configured `auth.algorithms` order (it re-sorts what
  // @sipts/digest's createDigestServer lists strongest first), so [MD5, SHA-256] lets sipp register.
  it('auth.algorithms [MD5, SHA-256] (this file\'s config) is the challenge order on the wire, so sipp registers', async () => {
    const peer = await udpPeer();
    try {
      await peer.send(rawRegister('UDP', 'bob', peer.port), fx.server.udp);
      const got = await peer.collect(1, 2000);
      const challenges = (got[0] ?? '').split('\r\n').filter((l) => /^WWW-Authenticate:/i.test(l));
      expect(challenges.map((c) => /algorithm=([A-Za-z0-9-]+)/.exec(c)?.[1]), got.join('\n')).toEqual(['MD5', 'SHA-256']);
    } finally {
      await peer.close();
    }
    passed(await register('bob'));
  });
});
