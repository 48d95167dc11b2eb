/**
 * createDigestClient against createDigestServer: choosing the strongest challenge, the retried
 * request (CSeq, Call-ID, branch), nonce counts, stale nonces, nextnonce, wrong passwords, userhash,
 * charset, RFC 2069, and mutual authentication for 401 and 407. Every message crosses the wire.
 */
import { makeResponse, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { calculateUserhash, createDigestClient, createDigestServer, type DigestClientOptions, type DigestServerOptions, type DigestSuccess } from '../src/index.js';
import { fakeNow, newRequest, wireRq, wireRs } from './helpers.js';

const alice = { username: 'alice', password: 'wonderland' };

function setup(serverOptions: Partial<DigestServerOptions> = {}, clientOptions: Partial<DigestClientOptions> = {}) {
  const clock = fakeNow();
  const server = createDigestServer({ realm: 'example.com', secret: 'k', now: clock.now, ...serverOptions });
  const client = createDigestClient({ ...alice, ...clientOptions });
  /** Sends `rq` to the server: the response, after a trip over the wire both ways. */
  const send = (rq: SipRequest, user = alice): { rs: SipResponse; ok: DigestSuccess | undefined } => {
    const v = server.verify(wireRq(rq), user);
    if (!v.ok) return { rs: wireRs(server.reject(rq, v)), ok: undefined };
    return { rs: wireRs(server.sign(makeResponse(rq, 200, undefined, { content: 'ok \u00e9' }), v)), ok: v };
  };
  return { clock, server, client, send };
}

describe('the retried request', () => {
  it('is a new request: CSeq + 1, the same Call-ID, a new branch; the original is untouched', () => {
    const { client, send } = setup();
    const rq = newRequest();
    const before = JSON.stringify(rq);
    const { rs } = send(rq);
    expect(rs.status).toBe(401);
    const retry = client.authorize(rq, rs);
    expect(JSON.stringify(rq)).toBe(before);
    expect(retry.headers.cseq).toEqual({ seq: 2, method: 'REGISTER' });
    expect(retry.headers['call-id']).toBe(rq.headers['call-id']);
    expect(retry.headers.via?.[0]?.params.branch).toMatch(/^z9hG4bK/);
    expect(retry.headers.via?.[0]?.params.branch).not.toBe(rq.headers.via?.[0]?.params.branch);
    expect(send(retry).rs.status).toBe(200);
  });

  it('answers the strongest challenge it supports', () => {
    const all = setup({ algorithms: ['MD5', 'SHA-256', 'SHA-512-256'] });
    const rq = newRequest();
    expect(all.client.authorize(rq, all.send(rq).rs).headers.authorization?.[0]?.algorithm).toBe('SHA-512-256');
    const noSha512 = setup({ algorithms: ['MD5', 'SHA-256', 'SHA-512-256'] }, { algorithms: ['MD5', 'SHA-256'] });
    expect(noSha512.client.authorize(rq, noSha512.send(rq).rs).headers.authorization?.[0]?.algorithm).toBe('SHA-256');
    const md5Only = setup({ algorithms: ['SHA-256', 'MD5'] }, { password: undefined, ha1: 'f'.repeat(32) });
    expect(md5Only.client.authorize(rq, md5Only.send(rq).rs).headers.authorization?.[0]?.algorithm).toBe('MD5');
  });

  it('counts nc per nonce across requests, and signs pre-emptively with the nonce in use', () => {
    const { client, send } = setup();
    const first = newRequest();
    const signed = client.authorize(first, send(first).rs);
    expect(signed.headers.authorization?.[0]?.nc).toBe('00000001');
    expect(send(signed).rs.status).toBe(200);
    const next = client.authorize(newRequest());
    expect(next.headers.authorization?.[0]?.nc).toBe('00000002');
    expect(send(next).rs.status).toBe(200);
    expect(createDigestClient(alice).authorize(newRequest()).headers.authorization).toBeUndefined();
  });

  it('retries a stale nonce without new credentials, and accepts the new one', () => {
    const { clock, client, send } = setup({ nonceLifetime: 1000 });
    const rq = newRequest();
    expect(send(client.authorize(rq, send(rq).rs)).rs.status).toBe(200);
    clock.advance(1001);
    const old = client.authorize(newRequest());
    const { rs } = send(old);
    expect(rs.status).toBe(401);
    expect(rs.headers['www-authenticate']?.[0]?.stale).toBe('true');
    const retry = client.authorize(old, rs);
    expect(retry.headers.authorization?.[0]?.nc).toBe('00000001');
    expect(send(retry).rs.status).toBe(200);
  });

  it('gives up on a wrong password instead of looping', () => {
    const { send } = setup();
    const wrong = createDigestClient({ username: 'alice', password: 'looking-glass' });
    const rq = newRequest();
    const retry = wrong.authorize(rq, send(rq).rs);
    const { rs } = send(retry);
    expect(rs.status).toBe(401);
    expect(() => wrong.authorize(retry, rs)).toThrow(expect.objectContaining({ code: 'auth-rejected', status: 401 }) as SipError);
  });

  it('throws a typed error for a response it cannot answer', () => {
    const client = createDigestClient(alice);
    const rq = newRequest();
    const basic = makeResponse(rq, 401, undefined, { headers: { 'www-authenticate': [{ scheme: 'Basic', realm: '"x"' }] } });
    expect(() => client.authorize(rq, basic)).toThrow(expect.objectContaining({ code: 'no-digest-challenge' }) as SipError);
    expect(() => client.authorize(rq, makeResponse(rq, 200))).toThrow(expect.objectContaining({ code: 'invalid-argument' }) as SipError);
    const sha1 = makeResponse(rq, 401, undefined, { headers: { 'www-authenticate': [{ scheme: 'Digest', realm: '"x"', nonce: '"n"', algorithm: 'SHA-1' }] } });
    expect(() => client.authorize(rq, sha1)).toThrow(SipError);
    expect(() => createDigestClient({ username: 'alice' })).toThrow(SipError);
  });
});

describe('mutual authentication', () => {
  it.each(['auth', 'auth-int'] as const)('401 with qop %s: rspauth is checked, a tampered one fails', (qop) => {
    const { client, send } = setup({ qop: [qop] });
    const rq = newRequest('MESSAGE', 'sip:example.com', 'body \u00e9');
    const { rs, ok } = send(client.authorize(rq, send(rq).rs));
    expect(ok?.qop).toBe(qop);
    expect(rs.headers['authentication-info']).toMatchObject({ qop, nc: '00000001' });
    expect(client.verify(rs)).toBe(true);
    const tampered = wireRs(rs);
    tampered.content = 'other body';
    expect(client.verify(tampered)).toBe(qop === 'auth-int' ? false : true);
    tampered.headers['authentication-info']!.rspauth = `"${'0'.repeat(64)}"`;
    expect(client.verify(tampered)).toBe(false);
  });

  it('407: Proxy-Authenticate, Proxy-Authorization, Proxy-Authentication-Info', () => {
    const { client, send } = setup({ proxy: true, qop: ['auth-int'] });
    const rq = newRequest('INVITE', 'sip:bob@example.com', 'v=0\r\n');
    const challenge = send(rq).rs;
    expect(challenge.status).toBe(407);
    expect(challenge.headers['proxy-authenticate']).toHaveLength(2);
    expect(challenge.headers['www-authenticate']).toBeUndefined();
    const retry = client.authorize(rq, challenge);
    expect(retry.headers['proxy-authorization']).toHaveLength(1);
    expect(retry.headers.authorization).toBeUndefined();
    const { rs } = send(retry);
    expect(rs.status).toBe(200);
    expect(rs.headers['authentication-info']).toBeUndefined();
    expect(rs.headers['proxy-authentication-info']).toMatchObject({ qop: 'auth-int' });
    expect(client.verify(rs)).toBe(true);
  });

  it('nothing to check: undefined', () => {
    const { client } = setup();
    const rq = newRequest();
    expect(client.verify(makeResponse(rq, 200))).toBeUndefined();
  });
});

describe('nextnonce', () => {
  it('comes once the nonce is past half its life, and the client moves to it', () => {
    const { clock, client, send } = setup({ nonceLifetime: 10_000 });
    const rq = newRequest();
    const first = send(client.authorize(rq, send(rq).rs)).rs;
    expect(first.headers['authentication-info']?.nextnonce).toBeUndefined();
    clock.advance(6000);
    const second = send(client.authorize(newRequest())).rs;
    const next = second.headers['authentication-info']?.nextnonce;
    expect(next).toBeDefined();
    expect(client.verify(second)).toBe(true);
    const third = client.authorize(newRequest());
    expect(third.headers.authorization?.[0]?.nonce).toBe(next);
    expect(third.headers.authorization?.[0]?.nc).toBe('00000001');
    clock.advance(6000); // the first nonce has expired by now; the next one has not
    expect(send(third).rs.status).toBe(200);
  });
});

describe('RFC 7616 extras', () => {
  it('userhash: the name goes hashed, the server finds the user', () => {
    const { client, send } = setup({ userhash: true, algorithms: ['SHA-256'] });
    const rq = newRequest();
    const retry = client.authorize(rq, send(rq).rs);
    const auth = retry.headers.authorization?.[0];
    expect(auth?.userhash).toBe('true');
    expect(auth?.username).toBe(`"${calculateUserhash('alice', 'example.com', 'SHA-256')}"`);
    expect(send(retry).ok?.username).toBe('alice');
  });

  it('charset=UTF-8: a non-ASCII name goes as username*', () => {
    const user = { username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?' };
    const { client, send } = setup({ charset: true }, user);
    const rq = newRequest();
    const retry = client.authorize(rq, send(rq, user).rs);
    expect(retry.headers.authorization?.[0]?.['username*']).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(send(retry, user).ok?.username).toBe(user.username);
  });

  it('RFC 2069 (no qop): one request per nonce, nextnonce for the next', () => {
    const { client, send } = setup({ qop: [], algorithms: ['MD5'] });
    const rq = newRequest();
    const challenge = send(rq).rs;
    expect(challenge.headers['www-authenticate']?.[0]?.qop).toBeUndefined();
    const retry = client.authorize(rq, challenge);
    expect(retry.headers.authorization?.[0]?.nc).toBeUndefined();
    const first = send(retry);
    expect(first.rs.status).toBe(200);
    expect(first.rs.headers['authentication-info']?.nextnonce).toBeDefined();
    expect(first.rs.headers['authentication-info']?.rspauth).toBeUndefined();
    const replay = send(retry).rs;
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']?.[0]?.stale).toBe('true');
    expect(client.verify(first.rs)).toBeUndefined(); // nothing to check, but the nextnonce is taken
    expect(send(client.authorize(newRequest())).rs.status).toBe(200);
  });
});
