/**
 * createDigestServer: every check on its own (replay, wrong password, realm, uri, opaque, user,
 * algorithm, qop, expired and tampered nonces, nc going backwards, malformed credentials), each
 * message taken over the wire (serialized and parsed) between the two sides.
 */
import { makeResponse, type AuthHeader, type SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { calculateUserRealmPasswordHash, createDigestClient, createDigestServer, type DigestAlgorithm, type DigestServerOptions } from '../src/index.js';
import { fromBase64Url, toBase64Url } from '../src/random.js';
import { calculateDigest, calculateHA1 } from '../src/index.js';
import { fakeNow, newRequest, wireRq, wireRs } from './helpers.js';

const alice = { username: 'alice', password: 'wonderland' };

function setup(options: Partial<DigestServerOptions> = {}) {
  const clock = fakeNow();
  const server = createDigestServer({ realm: 'example.com', secret: 'test secret', now: clock.now, ...options });
  const client = createDigestClient({ username: 'alice', password: 'wonderland' });
  /** The request signed after the server's challenge (both over the wire). */
  const signed = (rq: SipRequest = newRequest()): SipRequest => {
    const first = server.verify(wireRq(rq), alice);
    if (first.ok) throw new Error('an unsigned request passed');
    return wireRq(client.authorize(rq, wireRs(server.reject(rq, first))));
  };
  return { clock, server, client, signed };
}

function authorizationOf(rq: SipRequest): AuthHeader {
  const h = rq.headers.authorization?.[0];
  if (h === undefined) throw new Error('no Authorization');
  return h;
}

describe('accepts the right credentials', () => {
  const algorithms: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'];
  it.each(algorithms.flatMap((a) => (['auth', 'auth-int'] as const).map((q) => [a, q] as const)))('%s with qop %s', (algorithm, qop) => {
    const { server, signed } = setup({ algorithms: [algorithm], qop: [qop] });
    const rq = signed(newRequest('MESSAGE', 'sip:bob@example.com', 'hello \u00e9'));
    const auth = authorizationOf(rq);
    expect(auth.algorithm).toBe(algorithm);
    expect(auth.qop).toBe(qop);
    const v = server.verify(rq, alice);
    expect(v).toMatchObject({ ok: true, username: 'alice', algorithm, qop, nc: 1 });
  });

  it('with the stored hash instead of the password (one per hash, or one string)', () => {
    const { server, signed } = setup({ algorithms: ['SHA-256', 'MD5'] });
    const rq = signed();
    const md5 = calculateUserRealmPasswordHash('alice', 'example.com', 'wonderland');
    const sha = calculateUserRealmPasswordHash('alice', 'example.com', 'wonderland', 'SHA-256');
    expect(server.verify(rq, { username: 'alice', ha1: { MD5: md5 } })).toMatchObject({ ok: false, reason: 'unsupported-algorithm' });
    expect(server.verify(rq, { username: 'alice', ha1: { MD5: md5, 'SHA-256': sha.toUpperCase() } })).toMatchObject({ ok: true, algorithm: 'SHA-256' });
  });

  it('from a credential lookup', () => {
    const { server, signed } = setup();
    const asked: unknown[] = [];
    const v = server.verify(signed(), (q) => {
      asked.push(q);
      return q.username === 'alice' ? alice : undefined;
    });
    expect(v.ok).toBe(true);
    expect(asked).toEqual([{ username: 'alice', userhash: false, realm: 'example.com', algorithm: 'SHA-256' }]);
  });

  it('on another instance that shares the secret, not on one that does not', () => {
    const { clock, signed } = setup();
    const rq = signed();
    const twin = createDigestServer({ realm: 'example.com', secret: 'test secret', now: clock.now });
    const stranger = createDigestServer({ realm: 'example.com', secret: 'another secret', now: clock.now, opaque: null });
    expect(twin.verify(rq, alice).ok).toBe(true);
    expect(stranger.verify(rq, alice)).toMatchObject({ ok: false, reason: 'invalid-nonce', status: 401, stale: false });
  });
});

describe('rejects', () => {
  it('a request without credentials: 401 with one challenge per algorithm, strongest first', () => {
    const { server } = setup({ algorithms: ['MD5', 'SHA-512-256', 'SHA-256'] });
    const rq = newRequest();
    const v = server.verify(rq, alice);
    expect(v).toMatchObject({ ok: false, status: 401, reason: 'no-credentials', stale: false });
    if (v.ok) return;
    const rs = wireRs(server.reject(rq, v));
    expect(rs.status).toBe(401);
    expect(rs.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
    expect(rs.headers['www-authenticate']?.[0]).toMatchObject({ scheme: 'Digest', realm: '"example.com"', qop: '"auth"' });
    expect(rs.headers['www-authenticate']?.[0]?.stale).toBeUndefined();
  });

  it('a replayed request', () => {
    const { server, signed } = setup();
    const rq = signed();
    expect(server.verify(rq, alice).ok).toBe(true);
    expect(server.verify(wireRq(rq), alice)).toMatchObject({ ok: false, status: 401, reason: 'replay', stale: false });
  });

  it('a wrong password', () => {
    const { server, signed } = setup();
    expect(server.verify(signed(), { username: 'alice', password: 'looking-glass' })).toMatchObject({ ok: false, status: 401, reason: 'wrong-password', stale: false });
  });

  it('credentials for another realm', () => {
    const { clock, server } = setup();
    const other = createDigestServer({ realm: 'other.example', secret: 'test secret', now: clock.now });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = other.verify(rq, alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signedForOther = wireRq(client.authorize(rq, other.reject(rq, first)));
    expect(server.verify(signedForOther, alice)).toMatchObject({ ok: false, status: 401, reason: 'wrong-realm' });
  });

  it('a digest uri that is not the Request-URI: 400', () => {
    const { server, signed } = setup();
    const rq = signed();
    rq.uri = 'sip:elsewhere.example.com';
    const v = server.verify(rq, alice);
    expect(v).toMatchObject({ ok: false, status: 400, reason: 'wrong-uri' });
    if (!v.ok) expect(server.reject(rq, v).status).toBe(400);
  });

  it('a Request-URI that differs only where RFC 3261 §19.1.4 says it does not matter is the same uri', () => {
    const { server, signed } = setup();
    const rq = signed(newRequest('REGISTER', 'sip:EXAMPLE.com'));
    rq.uri = 'sip:example.COM';
    expect(server.verify(rq, alice).ok).toBe(true);
  });

  it('an expired nonce, with stale=true when the digest is right', () => {
    const { clock, server, signed } = setup({ nonceLifetime: 60_000 });
    const rq = signed();
    clock.advance(60_001);
    const v = server.verify(rq, alice);
    expect(v).toMatchObject({ ok: false, status: 401, reason: 'stale-nonce', stale: true });
    if (v.ok) return;
    expect(wireRs(server.reject(rq, v)).headers['www-authenticate']?.[0]?.stale).toBe('true');
    // A wrong password on an expired nonce is not stale: the client must not retry silently.
    expect(server.verify(rq, { username: 'alice', password: 'x' })).toMatchObject({ reason: 'wrong-password', stale: false });
  });

  it('a nonce issued too far in the future (clock skew beyond the drift) as stale', () => {
    const { clock, server, signed } = setup();
    const rq = signed();
    clock.advance(-10_000);
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, reason: 'stale-nonce', stale: true });
  });

  it('a tampered nonce, even with a digest computed over it', () => {
    const { server, signed } = setup({ algorithms: ['MD5'] });
    const rq = signed();
    const auth = authorizationOf(rq);
    const nonce = (auth.nonce ?? '').slice(1, -1);
    const bytes = fromBase64Url(nonce)!;
    bytes[0] = (bytes[0]! + 1) & 0xff; // a later issue time: what a client would forge to extend its nonce
    const forged = toBase64Url(bytes);
    const ha1 = calculateHA1({ user: 'alice', realm: 'example.com', password: 'wonderland' });
    const cnonce = (auth.cnonce ?? '').slice(1, -1);
    auth.nonce = `"${forged}"`;
    auth.response = `"${calculateDigest({ ha1, method: 'REGISTER', uri: 'sip:example.com', nonce: forged, nc: '00000001', cnonce, qop: 'auth' })}"`;
    expect(server.verify(wireRq(rq), alice)).toMatchObject({ ok: false, status: 401, reason: 'invalid-nonce', stale: false });
  });

  it('an nc that goes backwards', () => {
    const { server, client, signed } = setup();
    signed(); // establishes the nonce (nc 1), not sent
    const two = wireRq(client.authorize(newRequest()));
    const three = wireRq(client.authorize(newRequest()));
    expect(authorizationOf(two).nc).toBe('00000002');
    expect(authorizationOf(three).nc).toBe('00000003');
    expect(server.verify(three, alice).ok).toBe(true);
    expect(server.verify(two, alice)).toMatchObject({ ok: false, status: 401, reason: 'replay' });
  });

  it('an unknown user', () => {
    const { server, signed } = setup();
    expect(server.verify(signed(), { username: 'bob', password: 'wonderland' })).toMatchObject({ ok: false, status: 401, reason: 'unknown-user' });
    expect(server.verify(signed(), () => undefined)).toMatchObject({ ok: false, reason: 'unknown-user' });
  });

  it('a changed opaque', () => {
    const { server, signed } = setup({ opaque: 'o-1' });
    const rq = signed();
    expect(authorizationOf(rq).opaque).toBe('"o-1"');
    authorizationOf(rq).opaque = '"o-2"';
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 401, reason: 'wrong-opaque' });
  });

  it('an algorithm that was not offered', () => {
    const { server, signed } = setup({ algorithms: ['SHA-256'] });
    const rq = signed();
    authorizationOf(rq).algorithm = 'MD5';
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 401, reason: 'unsupported-algorithm' });
    authorizationOf(rq).algorithm = 'SHA-1';
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, reason: 'unsupported-algorithm' });
  });

  it('credentials without a qop when one was offered, and a qop that was not', () => {
    const { server, signed } = setup({ qop: ['auth'] });
    const rq = signed();
    const auth = authorizationOf(rq);
    delete auth.qop;
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 401, reason: 'qop-required' });
    auth.qop = 'auth-int';
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 401, reason: 'qop-not-offered' });
  });

  it('a throwing credential lookup as a 400, without throwing', () => {
    const { server, signed } = setup();
    const v = server.verify(signed(), () => {
      throw new Error('database down');
    });
    expect(v).toMatchObject({ ok: false, status: 400, reason: 'malformed' });
  });
});

describe('malformed credentials: 400, never an exception', () => {
  const cases: [string, (h: AuthHeader) => void][] = [
    ['no nonce', (h) => delete h.nonce],
    ['no username', (h) => delete h.username],
    ['no uri', (h) => delete h.uri],
    ['no response', (h) => delete h.response],
    ['a response that is not hex', (h) => (h.response = '"not-hex!"')],
    ['nc that is not eight hex digits', (h) => (h.nc = '1')],
    ['nc 00000000', (h) => (h.nc = '00000000')],
    ['a qop without cnonce', (h) => delete h.cnonce],
    ['an unknown qop', (h) => (h.qop = 'auth-conf')],
    ['username and username*', (h) => (h['username*'] = "UTF-8''alice")],
    ['a username* that is not UTF-8', (h) => ((h['username*'] = "UTF-8''%FF%FE"), delete h.username)],
    ['userhash that is not a boolean', (h) => (h.userhash = 'maybe')],
  ];
  it.each(cases)('%s', (_name, spoil) => {
    const { server, signed } = setup();
    const rq = signed();
    spoil(authorizationOf(rq));
    const v = server.verify(rq, alice);
    expect(v).toMatchObject({ ok: false, status: 400, reason: 'malformed' });
    if (!v.ok) expect(server.reject(rq, v).status).toBe(400);
  });

  it('a header that does not parse (an application-built raw string)', () => {
    const { server } = setup();
    const rq = newRequest();
    (rq.headers as Record<string, unknown>).authorization = 'Digest realm="example.com", nonce=';
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 400, reason: 'malformed' });
  });

  it('values of the wrong type', () => {
    const { server } = setup();
    const rq = newRequest();
    (rq.headers as Record<string, unknown>).authorization = [{ scheme: 'Digest', realm: 42 }, null];
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 400, reason: 'malformed' });
    (rq.headers as Record<string, unknown>).authorization = { scheme: 5 };
    expect(server.verify(rq, alice)).toMatchObject({ ok: false, status: 400 });
  });

  it('a non-Digest scheme only: 401 (no credentials), not 400', () => {
    const { server } = setup();
    const rq = newRequest();
    rq.headers.authorization = [{ scheme: 'Basic', token: 'YWxpY2U6d29uZGVybGFuZA==' }];
    expect(server.verify(wireRq(rq), alice)).toMatchObject({ ok: false, status: 401, reason: 'no-credentials' });
  });
});

describe('nonce counts', () => {
  it('a server whose store forgot the nonce answers stale=true', () => {
    const clock = fakeNow();
    const server = createDigestServer({ realm: 'example.com', now: clock.now, nonceCounts: { advance: () => 'forgotten' } });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = server.verify(rq, alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signed = client.authorize(rq, server.reject(rq, first));
    expect(server.verify(signed, alice)).toMatchObject({ ok: false, reason: 'stale-nonce', stale: true });
  });

  it('the challenge answer is a 401 made from the request', () => {
    const { server } = setup();
    const rq = newRequest();
    const v = server.verify(rq, alice);
    if (v.ok) throw new Error('unsigned request passed');
    const rs = server.reject(rq, v);
    expect(rs.headers['call-id']).toBe(rq.headers['call-id']);
    expect(rs).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(makeResponse(rq, 200).headers['www-authenticate']).toBeUndefined();
  });
});
