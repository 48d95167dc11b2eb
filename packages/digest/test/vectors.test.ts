/**
 * The published test vectors: RFC 2617 §3.5 (MD5), RFC 7616 §3.9.1 (MD5 and SHA-256) and
 * RFC 7616 §3.9.2 (SHA-512-256 with userhash and charset; with the values of erratum 4897, since
 * the RFC's own username and response were computed with a pre-standard SHA-512/256).
 * Each vector goes both ways: the client path (challenge → credentials) must produce the published
 * response, and the published credentials must parse and recompute to it.
 */
import { parseAuthHeader } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import {
  calculateDigest,
  calculateHA1,
  calculateUserhash,
  calculateUserRealmPasswordHash,
  decodeExtValue,
  encodeExtValue,
  kd,
  parseCredentials,
  readChallenge,
} from '../src/index.js';
import { buildCredentials, negotiateQop } from '../src/challenge.js';
import { unquote } from '../src/quote.js';

/** Signs like a client would, with the vector's cnonce instead of a random one. */
function clientResponse(challenge: string, user: string, password: string, method: string, uri: string, cnonce: string, userhash = false): Record<string, string | undefined> {
  const c = readChallenge(parseAuthHeader(challenge));
  if (c === undefined) throw new Error('the challenge did not parse');
  const qop = negotiateQop(c.qops, ['auth']) ?? undefined;
  const ha1 = calculateHA1({ user, realm: c.realm, password, algorithm: c.algorithm, nonce: c.nonce, cnonce });
  return buildCredentials({
    method,
    uri,
    body: '',
    realm: c.realm,
    nonce: c.nonce,
    opaque: c.opaque,
    algorithm: c.algorithm,
    sendAlgorithm: c.algorithmGiven,
    qop,
    nc: 1,
    cnonce,
    username: userhash ? calculateUserhash(user, c.realm, c.algorithm) : user,
    userhash,
    utf8: c.utf8,
    ha1,
  });
}

/** Recomputes the response of published credentials from the password. */
function recompute(authorization: string, password: string, method: string, user?: string): string {
  const parsed = parseCredentials(parseAuthHeader(authorization));
  if (!parsed.ok) throw new Error(parsed.message);
  const c = parsed.value;
  const ha1 = calculateHA1({ user: user ?? c.username, realm: c.realm, password, algorithm: c.algorithm, nonce: c.nonce, cnonce: c.cnonce });
  return calculateDigest({ ha1, method, uri: c.uri, nonce: c.nonce, nc: c.ncText, cnonce: c.cnonce, qop: c.qop, algorithm: c.algorithm });
}

describe('RFC 2617 §3.5', () => {
  const challenge =
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const authorization =
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

  it('the low-level functions give the published response (classic test 1)', () => {
    const ha1 = calculateHA1({ user: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life' });
    expect(ha1).toBe('939e7578ed9e3c518a452acee763bce9');
    expect(
      calculateDigest({ ha1, method: 'GET', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', nc: '00000001', cnonce: '0a4f113b', qop: 'auth', uri: '/dir/index.html' }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('the client path writes the published credentials', () => {
    const h = clientResponse(challenge, 'Mufasa', 'Circle Of Life', 'GET', '/dir/index.html', '0a4f113b');
    expect(unquote(h.response)).toBe('6629fae49393a05397450978507c4ef1');
    expect(h.algorithm).toBeUndefined(); // the challenge named none: RFC 2617 servers may not know the parameter
    expect(h).toMatchObject({ username: '"Mufasa"', qop: 'auth', nc: '00000001', opaque: '"5ccc069c403ebaf9f0171e9517f40e41"' });
  });

  it('the published credentials recompute to their response', () => {
    expect(recompute(authorization, 'Circle Of Life', 'GET')).toBe('6629fae49393a05397450978507c4ef1');
    expect(recompute(authorization, 'Circle of Life', 'GET')).not.toBe('6629fae49393a05397450978507c4ef1');
  });
});

describe('RFC 7616 §3.9.1', () => {
  const challenge = (algorithm: string): string =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const authorization = (algorithm: string, response: string): string =>
    `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="${response}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('%s: the client path writes the published response', (algorithm, response) => {
    const h = clientResponse(challenge(algorithm), 'Mufasa', 'Circle of Life', 'GET', '/dir/index.html', cnonce);
    expect(unquote(h.response)).toBe(response);
    expect(h.algorithm).toBe(algorithm);
  });

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('%s: the published credentials recompute to their response', (algorithm, response) => {
    expect(recompute(authorization(algorithm, response), 'Circle of Life', 'GET')).toBe(response);
    expect(recompute(authorization(algorithm, response), 'Circle of Life', 'POST')).not.toBe(response);
  });
});

describe('RFC 7616 §3.9.2 (userhash, charset, SHA-512-256; erratum 4897 values)', () => {
  const user = 'J\u00e4s\u00f8n Doe';
  const realm = 'api@example.org';
  const challenge =
    'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true';
  const userhash = '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b';
  const response = '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5';

  it('the userhash is H(user:realm) with SHA-512/256 over UTF-8', () => {
    expect(calculateUserhash(user, realm, 'SHA-512-256')).toBe(userhash);
  });

  it('the client path sends the userhash and the response', () => {
    const h = clientResponse(challenge, user, 'Secret, or not?', 'GET', '/doe.json', 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v', true);
    expect(h).toMatchObject({ username: `"${userhash}"`, userhash: 'true', algorithm: 'SHA-512-256', qop: 'auth', nc: '00000001' });
    expect(unquote(h.response)).toBe(response);
  });

  it('without userhash the name goes as username* (RFC 8187), and decodes back', () => {
    expect(encodeExtValue(user)).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(decodeExtValue("UTF-8''J%C3%A4s%C3%B8n%20Doe")).toBe(user);
    expect(decodeExtValue("ISO-8859-1''J%E4s")).toBeUndefined();
    const h = clientResponse(challenge, user, 'Secret, or not?', 'GET', '/doe.json', 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v');
    expect(h['username*']).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(h.username).toBeUndefined();
    expect(unquote(h.response)).toBe(response); // the name is hashed the same way either way
  });
});

describe('the classic low-level functions', () => {
  it('calculateHA1 takes the algorithm in either case, sess included', () => {
    const args = { user: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', nonce: 'n', cnonce: 'c' };
    const base = calculateUserRealmPasswordHash('Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(calculateHA1({ ...args, algorithm: 'md5' })).toBe(base);
    expect(calculateHA1({ ...args, algorithm: 'MD5' })).toBe(base);
    expect(calculateHA1({ ...args, algorithm: 'md5-sess' })).toBe(kd(base, 'n', 'c'));
    expect(calculateHA1({ ...args, algorithm: 'MD5-SESS' })).toBe(kd(base, 'n', 'c'));
    expect(calculateHA1({ userhash: base, algorithm: 'MD5-sess', nonce: 'n', cnonce: 'c' })).toBe(kd(base, 'n', 'c'));
    expect(calculateHA1({ ...args, algorithm: 'sha-256' })).toBe(calculateHA1({ ...args, algorithm: 'SHA-256' }));
    expect(calculateHA1({ ...args, algorithm: 'sha-512-256-SESS' })).toHaveLength(64);
    expect(() => calculateHA1({ ...args, algorithm: 'sha-1' })).toThrow(/unsupported digest algorithm/);
  });

  it('calculateUserRealmPasswordHash strips quotes', () => {
    expect(calculateUserRealmPasswordHash('"Mufasa"', '"testrealm@host.com"', 'Circle Of Life')).toBe('939e7578ed9e3c518a452acee763bce9');
  });

  it('auth-int hashes the body bytes: a string as UTF-8, bytes as they are', () => {
    const body = 'v=0\r\ns=caf\u00e9\r\n';
    const args = { ha1: 'x', method: 'INVITE', uri: 'sip:bob@example.com', nonce: 'n', nc: '00000001', cnonce: 'c', qop: 'auth-int' };
    const fromString = calculateDigest({ ...args, entity: body });
    expect(calculateDigest({ ...args, entity: new TextEncoder().encode(body) })).toBe(fromString);
    expect(calculateDigest({ ...args, entity: 'v=0\r\ns=cafe\r\n' })).not.toBe(fromString);
    expect(calculateDigest({ ...args, qop: 'auth', entity: body })).not.toBe(fromString);
  });

  it('RFC 2069 (no qop): KD(HA1, nonce:H(A2))', () => {
    const ha2 = kd('GET', '/dir/index.html');
    expect(calculateDigest({ ha1: 'h', method: 'GET', uri: '/dir/index.html', nonce: 'n' })).toBe(kd('h', 'n', ha2));
  });
});
