/**
 * The classic API (`challenge`, `signRequest`, `authenticateRequest`, `signResponse`,
 * `authenticateResponse`): round trips for 401 and 407 with auth and auth-int, the sessions stored
 * as JSON between every call, the classic library's own tests, and the classic bugs fixed
 * (server-side nc, replays, stale nonces, uri/username checks, 407 mutual auth, return values).
 */
import { makeResponse, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authenticateRequest,
  authenticateResponse,
  calculateUserRealmPasswordHash,
  challenge,
  extractNonceTimestamp,
  generateNonce,
  signRequest,
  signResponse,
  type DigestSession,
} from '../src/index.js';
import { newRequest, viaJson, wireRq, wireRs } from './helpers.js';

const carol = { user: 'carol', password: '1234' };

function options(): SipRequest {
  return newRequest('OPTIONS', 'sip:carol@chicago.com');
}

/** Every value of a session is a string, number or boolean (JSON-able, database-friendly). */
function expectPlain(session: DigestSession): void {
  for (const [k, v] of Object.entries(session)) expect(['string', 'number', 'boolean'], k).toContain(typeof v);
  expect(viaJson(session)).toEqual(session);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('round trips, sessions stored as JSON between calls', () => {
  it.each([
    [401, 'auth'],
    [401, 'auth-int'],
    [407, 'auth'],
    [407, 'auth-int'],
  ] as const)('%i with qop %s', (status, qop) => {
    let server: DigestSession = { realm: 'chicago.com', qop };
    let client: DigestSession = {};
    const rq = newRequest('INVITE', 'sip:carol@chicago.com', 'v=0\r\ns=caf\u00e9\r\n');

    const rs = wireRs(challenge(server, makeResponse(rq, status)));
    server = viaJson(server);
    const name = status === 407 ? 'proxy-authenticate' : 'www-authenticate';
    expect(rs.headers[name]).toHaveLength(1);
    expect(rs.headers[name]?.[0]).toMatchObject({ realm: '"chicago.com"', algorithm: 'MD5', qop: `"${qop}"` });

    expect(signRequest(client, rq, rs, carol)).toBe(rq);
    client = viaJson(client);
    expect(authenticateRequest(server, wireRq(rq), carol)).toBe(true);
    server = viaJson(server);

    const ok = wireRs(signResponse(server, makeResponse(rq, 200, undefined, { content: 'answer \u00e9' })));
    server = viaJson(server);
    const info = status === 407 ? 'proxy-authentication-info' : 'authentication-info';
    const other = status === 407 ? 'authentication-info' : 'proxy-authentication-info';
    expect(ok.headers[info]).toMatchObject({ qop, nc: '00000001' });
    expect(ok.headers[other]).toBeUndefined();
    expect(authenticateResponse(client, ok)).toBe(true);
    client = viaJson(client);

    // A second request on the same nonce: no credentials needed any more on either side.
    signRequest(client, rq);
    client = viaJson(client);
    expect(authenticateRequest(server, wireRq(rq))).toBe(true);
    server = viaJson(server);
    const ok2 = wireRs(signResponse(server, makeResponse(rq, 200, undefined, { content: 'second' })));
    expect(authenticateResponse(client, ok2)).toBe(true);
    const forged = wireRs(ok2);
    forged.content = 'changed';
    expect(authenticateResponse(viaJson(client), forged)).toBe(qop === 'auth-int' ? false : true);
    expectPlain(server);
    expectPlain(client);
  });

  it('several algorithms, strongest first; the client takes the strongest; md5-sess works', () => {
    for (const algorithm of ['md5,SHA-256,sha-512-256', 'md5-sess', 'SHA-256-sess']) {
      let server: DigestSession = { realm: 'chicago.com', algorithm };
      const client: DigestSession = {};
      const rq = options();
      const rs = wireRs(challenge(server, makeResponse(rq, 401)));
      server = viaJson(server);
      signRequest(client, rq, rs, carol);
      expect(authenticateRequest(server, wireRq(rq), carol), algorithm).toBe(true);
      expect(authenticateResponse(client, wireRs(signResponse(server, makeResponse(rq, 200))))).toBe(true);
      if (algorithm.includes(',')) {
        expect(rs.headers['www-authenticate']?.map((h) => h.algorithm)).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
        expect(client.algorithm).toBe('SHA-512-256');
      }
    }
  });

  it('credentials as the stored hash instead of the password', () => {
    const server: DigestSession = { realm: 'chicago.com' };
    const client: DigestSession = {};
    const rq = options();
    const hash = calculateUserRealmPasswordHash('carol', 'chicago.com', '1234');
    signRequest(client, rq, challenge(server, makeResponse(rq, 401)), { user: 'carol', hash });
    expect(authenticateRequest(server, wireRq(rq), { user: 'carol', hash })).toBe(true);
    expect(JSON.stringify(server)).not.toContain('1234');
    expect(JSON.stringify(client)).not.toContain('1234');
  });
});

describe("the classic library's own tests (test/digest.coffee)", () => {
  it('test 2: 401, sign, authenticate, mutual auth, then a second signed request', () => {
    const server: DigestSession = { realm: 'test' };
    let rq = options();
    const rs = challenge(server, makeResponse(rq, 401, 'Authentication Required'));
    expect(rs.headers['www-authenticate']).toBeDefined();
    const client: DigestSession = {};
    rq = signRequest(client, rq, rs, carol);
    expect(authenticateRequest(server, rq, carol)).toBe(true);
    expect(authenticateResponse(client, signResponse(server, makeResponse(rq, 200)))).toBe(true);
    rq = signRequest(client, rq);
    expect(authenticateRequest(server, rq)).toBe(true);
    expect(authenticateResponse(client, signResponse(server, makeResponse(rq, 200)))).toBe(true);
  });

  it('test 3: the same with 407 (and now mutual auth works for 407 too)', () => {
    const server: DigestSession = { realm: 'test' };
    let rq = options();
    const rs = challenge(server, makeResponse(rq, 407, 'Proxy Authentication Required'));
    expect(rs.headers['proxy-authenticate']).toBeDefined();
    const client: DigestSession = {};
    rq = signRequest(client, rq, rs, carol);
    expect(authenticateRequest(server, rq, carol)).toBe(true);
    expect(authenticateResponse(client, signResponse(server, makeResponse(rq, 200)))).toBe(true);
    rq = signRequest(client, rq);
    expect(authenticateRequest(server, rq)).toBe(true);
  });
});

/** A server session, a client session and a request signed after the challenge. */
function signedPair(server: DigestSession = { realm: 'chicago.com' }): { server: DigestSession; client: DigestSession; rq: SipRequest; rs: SipResponse } {
  const client: DigestSession = {};
  const rq = options();
  const rs = challenge(server, makeResponse(rq, 401));
  signRequest(client, rq, rs, carol);
  return { server, client, rq: wireRq(rq), rs };
}

describe('classic bugs fixed', () => {
  it('signRequest returns the request also without a qop (RFC 2069), and the server takes it once', () => {
    const { server, client, rq } = signedPair({ realm: 'chicago.com', qop: '' });
    expect(rq.headers.authorization?.[0]?.qop).toBeUndefined();
    expect(authenticateRequest(server, rq, carol)).toBe(true);
    expect(authenticateRequest(server, rq, carol)).toBe(false);
    expect(challenge(server, makeResponse(rq, 401)).headers['www-authenticate']?.[0]?.stale).toBe('true');
    const again = options();
    expect(signRequest(client, again)).toBe(again);
  });

  it('a replayed request is rejected', () => {
    const { server, rq } = signedPair();
    expect(authenticateRequest(server, rq, carol)).toBe(true);
    expect(authenticateRequest(viaJson(server), rq, carol)).toBe(false);
  });

  it('the nc is the client’s: a retry with a higher nc passes, a lower one fails', () => {
    const { server, client, rq } = signedPair();
    const second = signRequest(client, options());
    const third = signRequest(client, options());
    expect(authenticateRequest(server, wireRq(third), carol)).toBe(true); // nc 3 first: the old counter would want 1
    expect(authenticateRequest(server, wireRq(second), carol)).toBe(false);
    expect(authenticateRequest(server, rq, carol)).toBe(false);
  });

  it('a wrong password', () => {
    const { server, rq } = signedPair();
    expect(authenticateRequest(server, rq, { user: 'carol', password: '4321' })).toBe(false);
  });

  it('a wrong user, realm or uri', () => {
    const { server, rq } = signedPair();
    expect(authenticateRequest(server, rq, { user: 'dave', password: '1234' })).toBe(false);
    expect(authenticateRequest(server, rq, { ...carol, realm: 'other.com' })).toBe(false);
    expect(authenticateRequest({ ...server, realm: 'other.com' }, rq, carol)).toBe(false);
    expect(authenticateRequest(server, { ...rq, uri: 'sip:dave@chicago.com' }, carol)).toBe(false);
    expect(authenticateRequest(server, rq, carol)).toBe(true);
  });

  it('a nonce that is not the session’s', () => {
    const { server, rq } = signedPair();
    const auth = rq.headers.authorization![0]!;
    auth.nonce = `"${generateNonce('chicago.com')}"`;
    expect(authenticateRequest(server, rq, carol)).toBe(false);
  });

  it('an expired nonce: false, then a challenge with stale=true that the client answers silently', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const { server, client, rq } = signedPair({ realm: 'chicago.com', nonceLifetime: 60_000 });
    vi.setSystemTime(new Date('2025-01-01T00:01:01Z'));
    expect(authenticateRequest(server, rq, carol)).toBe(false);
    expect(server.stale).toBe(true);
    const rs = wireRs(challenge(server, makeResponse(rq, 401)));
    expect(rs.headers['www-authenticate']?.[0]?.stale).toBe('true');
    expect(server.stale).toBeUndefined();
    const retry = signRequest(client, options(), rs); // no credentials: the session has them
    expect(authenticateRequest(server, wireRq(retry))).toBe(true);
  });

  it('nextnonce: handed out after half the lifetime, taken by the client, accepted by the server', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const { server, client, rq } = signedPair({ realm: 'chicago.com', nonceLifetime: 60_000 });
    expect(authenticateRequest(server, rq, carol)).toBe(true);
    expect(signResponse(server, makeResponse(rq, 200)).headers['authentication-info']?.nextnonce).toBeUndefined();
    vi.setSystemTime(new Date('2025-01-01T00:00:40Z'));
    const second = wireRq(signRequest(client, options()));
    expect(authenticateRequest(server, second)).toBe(true);
    const ok = wireRs(signResponse(server, makeResponse(second, 200)));
    const next = ok.headers['authentication-info']?.nextnonce;
    expect(next).toBeDefined();
    expect(authenticateResponse(client, ok)).toBe(true);
    vi.setSystemTime(new Date('2025-01-01T00:01:10Z')); // the first nonce has expired
    const third = wireRq(signRequest(client, options()));
    expect(third.headers.authorization?.[0]?.nonce).toBe(next);
    expect(authenticateRequest(server, third)).toBe(true);
  });

  it('malformed credentials: false, never an exception', () => {
    const { server, rq } = signedPair();
    const auth = rq.headers.authorization![0]!;
    auth.nc = 'zz';
    expect(authenticateRequest(server, rq, carol)).toBe(false);
    (rq.headers as Record<string, unknown>).authorization = 'Digest realm=';
    expect(authenticateRequest(server, rq, carol)).toBe(false);
    (rq.headers as Record<string, unknown>).authorization = [{ scheme: 'Digest', realm: '"chicago.com"', nonce: 7 }];
    expect(authenticateRequest(server, rq, carol)).toBe(false);
    expect(authenticateRequest({}, rq, carol)).toBe(false);
    expect(authenticateRequest(server, options(), carol)).toBe(false);
  });

  it('authenticateResponse: undefined without Authentication-Info or rspauth', () => {
    const { client, rq } = signedPair();
    expect(authenticateResponse(client, makeResponse(rq, 200))).toBeUndefined();
    expect(authenticateResponse(client, makeResponse(rq, 200, undefined, { headers: { 'authentication-info': { nextnonce: '"x"' } } }))).toBeUndefined();
    expect(authenticateResponse(client, makeResponse(rq, 200, undefined, { headers: { 'authentication-info': { rspauth: '"00"' } } }))).toBe(false);
  });

  it('signRequest: a typed error for a response without a Digest challenge, or an empty session', () => {
    const rq = options();
    const basic = makeResponse(rq, 401, undefined, { headers: { 'www-authenticate': [{ scheme: 'Basic', realm: '"x"' }] } });
    expect(() => signRequest({}, rq, basic, carol)).toThrow(expect.objectContaining({ code: 'no-digest-challenge' }) as SipError);
    expect(() => signRequest({}, rq)).toThrow(SipError);
    expect(() => challenge({}, makeResponse(rq, 401))).toThrow(SipError);
  });

  it('generateNonce / extractNonceTimestamp', () => {
    const at = new Date('2024-05-06T07:08:09.010Z');
    const nonce = generateNonce('tag', at);
    expect(extractNonceTimestamp(nonce, 'tag')).toEqual(at);
    expect(extractNonceTimestamp(nonce, 'other tag')).toBe(false);
    expect(extractNonceTimestamp('not a nonce', 'tag')).toBeUndefined();
  });
});
