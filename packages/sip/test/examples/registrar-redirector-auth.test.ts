/**
 * The classic package's registrar-redirector-auth example (apps/registrar-redirector-auth.cjs) on
 * the facade and its `@sipts/sip/digest`: a REGISTER without credentials gets 401 with a Digest
 * challenge; signed with the right password (sipp's [authentication], sipsak -a) it gets 200; with a
 * wrong password 401 or 403; an unknown user is challenged like a known one. An INVITE for a
 * registered user is then redirected (302) to the Contact it registered.
 * @see RFC 3261 §22.4, RFC 2617 §3.2
 */
import { describe, expect, it } from 'vitest';
import { CLASSIC } from './harness/impl.js';
import { runSipsak } from './harness/sipsak.js';
import { useExampleApp } from './harness/use-example-app.js';
import { addrUri, header } from './harness/wire.js';

const REALM = 'sipts.test';

/** The parameters of a Digest challenge, quotes removed. */
function challengeParams(value: string): Record<string, string> {
  expect(value).toMatch(/^Digest\s/i);
  return Object.fromEntries(
    [...value.replace(/^Digest\s+/i, '').matchAll(/([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)/g)].map((m) => [m[1]!.toLowerCase(), m[2]!.replace(/^"|"$/g, '')]),
  );
}

describe('classic example: registrar-redirector with digest authentication', () => {
  const ex = useExampleApp('registrar-redirector-auth', () => ({ REALM, USERS: JSON.stringify({ 100: '1234', 101: 'qwerty' }) }));

  it('challenges, then registers with the right password (sipp [authentication], two calls)', async () => {
    const before = ex.app.events().length;
    const run = await ex.sipp('register-auth', { service: '100', calls: 2, args: ['-au', '100', '-ap', '1234'] });
    expect(run.successful).toBe(2);
    const challenges = run.received.filter((m) => m.status === 401);
    expect(challenges).toHaveLength(2);
    for (const c of challenges) {
      const [value, ...more] = header(c, 'www-authenticate');
      expect(more).toEqual([]);
      const params = challengeParams(value!);
      expect(params.realm).toBe(REALM);
      expect(params.nonce).toMatch(/^\S{8,}$/);
      expect(params.qop?.split(/\s*,\s*/).every((q) => q === 'auth' || q === 'auth-int')).toBe(true);
    }
    // Each signed REGISTER answered the challenge it was given.
    const signed = run.sent.filter((m) => m.method === 'REGISTER' && header(m, 'authorization').length > 0);
    expect(signed).toHaveLength(2);
    const nonces = challenges.map((c) => challengeParams(header(c, 'www-authenticate')[0]!).nonce);
    expect(signed.map((m) => challengeParams(header(m, 'authorization')[0]!).nonce)).toEqual(nonces);
    if (!CLASSIC) {
      // A fresh server nonce each time. The classic digest.challenge reuses the session's last
      // cnonce, chosen by the client, as the new nonce.
      expect(nonces[1]).not.toBe(nonces[0]);
      expect(nonces[1]).not.toBe(challengeParams(header(signed[0]!, 'authorization')[0]!).cnonce);
    }
    await expect.poll(() => ex.app.events().slice(before).map((e) => e.outcome)).toEqual(['challenged', 'registered', 'challenged', 'registered']);

    // Now an INVITE for 100 is redirected to the Contact sipp registered.
    const call = await ex.sipp('invite-302', { service: '100' });
    expect(header(call.received.find((m) => m.status === 302)!, 'contact').map(addrUri)).toEqual([`sip:100@127.0.0.1:${run.localPort};transport=UDP`]);
  });

  it('registers over TCP as well (sipp t1, [authentication])', async () => {
    const run = await ex.sipp('register-auth', { service: '101', transport: 't1', args: ['-au', '101', '-ap', 'qwerty'] });
    expect(run.received.map((m) => m.status)).toEqual([401, 200]);
    expect(header(run.received[1]!, 'contact').map(addrUri)).toEqual([`sip:101@127.0.0.1:${run.localPort};transport=TCP`]);
  });

  it('refuses a REGISTER signed with a wrong password (sipp): 401 again, or 403', async () => {
    const before = ex.app.events().length;
    const run = await ex.sipp('register-refused', { service: '101', args: ['-au', '101', '-ap', 'not-qwerty'] });
    const finals = run.received.map((m) => m.status);
    expect(finals[0]).toBe(401);
    expect([401, 403]).toContain(finals[1]);
    await expect.poll(() => ex.app.events().slice(before).map((e) => e.outcome)).not.toContain('registered');
  });

  it('challenges a user it does not know the same way, and never accepts it', async () => {
    const run = await ex.sipp('register-refused', { service: '999', args: ['-au', '999', '-ap', '999'] });
    const first = run.received[0]!;
    expect(first.status).toBe(401);
    expect(challengeParams(header(first, 'www-authenticate')[0]!).realm).toBe(REALM);
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'REGISTER', status: 401, outcome: 'unknown-user' });
  });

  it('registers with sipsak -a (right password), then redirects an INVITE for that user', async () => {
    const run = await runSipsak(['-U', '-s', 'sip:101@127.0.0.1', '-r', String(ex.port), '-u', '101', '-a', 'qwerty', '-C', 'sip:101@127.0.0.1:5999', '-i']);
    expect(run.code, `${run.tail}\n${ex.app.output()}`).toBe(0);
    const call = await ex.sipp('invite-302', { service: '101' });
    expect(header(call.received.find((m) => m.status === 302)!, 'contact').map(addrUri)).toEqual(['sip:101@127.0.0.1:5999']);
  });

  it('refuses sipsak with a wrong password (exit status 2 after a second 401)', async () => {
    const run = await runSipsak(['-U', '-s', 'sip:101@127.0.0.1', '-r', String(ex.port), '-u', '101', '-a', 'qwertz', '-C', 'sip:101@127.0.0.1:5998', '-i']);
    expect(run.code, run.tail).toBe(2);
    expect(`${run.stdout}${run.stderr}`).toContain('authorization failed');
  });

  it('answers 404 to an INVITE for an account that has not registered', async () => {
    await ex.sipp('invite-404', { service: '102' });
  });
});
