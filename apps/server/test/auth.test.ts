/**
 * The authenticator's answers for unknown users (issue 16, finding 10): the same digest work and
 * the same failure as a known user's wrong password, never a shortcut that could be timed.
 */
import { createDigestClient } from '@sipts/digest';
import type { SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/auth.js';
import { USERS } from './helpers.js';

const auth = createAuthenticator({ realm: 'localhost', users: USERS, algorithms: ['SHA-256', 'MD5'], now: () => 1_000_000 });

function register(user: string): SipRequest {
  return {
    method: 'REGISTER',
    uri: 'sip:localhost',
    version: '2.0',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5070, params: { branch: 'z9hG4bKtest' } }],
      from: { uri: `sip:${user}@localhost`, params: { tag: 't1' } },
      to: { uri: `sip:${user}@localhost`, params: {} },
      'call-id': 'auth-test',
      cseq: { seq: 1, method: 'REGISTER' },
    },
    content: '',
  };
}

/** The verification of `user`'s REGISTER answered with `password` to the server's own challenge. */
async function attempt(user: string, password: string): ReturnType<typeof auth.verify> {
  const rq = register(user);
  const first = await auth.verify(rq, user, false, '192.0.2.1');
  expect(first).toMatchObject({ ok: false, reason: 'no-credentials' });
  if (first.ok) throw new Error('unreachable');
  const challenge = auth.reject(rq, user, first);
  return auth.verify(createDigestClient({ username: user, password }).authorize(rq, challenge), user, false, '192.0.2.1');
}

describe('createAuthenticator and unknown users', () => {
  it("fails an unknown user's credentials as 'wrong-password', after computing the digest, like a known user's", async () => {
    expect(await attempt('alice', 'not-it')).toMatchObject({ ok: false, status: 401, reason: 'wrong-password' });
    expect(await attempt('carol', 'carol-secret')).toMatchObject({ ok: false, status: 401, reason: 'wrong-password' });
    expect(await attempt('alice', 'alice-secret')).toMatchObject({ ok: true, username: 'alice' });
  });

  it('challenges an unknown user with the algorithms of the known ones', async () => {
    const rq = register('carol');
    const v = await auth.verify(rq, 'carol', false);
    if (v.ok) throw new Error('no credentials cannot verify');
    expect(auth.reject(rq, 'carol', v).headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(auth.has('carol')).toBe(false);
  });
});
