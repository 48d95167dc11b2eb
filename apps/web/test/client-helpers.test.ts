/** The user agent's pure helpers: addresses, expiry, refresh time, challenge choice, plain errors. */
import { createDigestServer } from '@sipts/digest';
import { makeResponse, type SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { errorForResponse } from '../src/client/errors.js';
import { newInstanceId, parseAddress } from '../src/client/identity.js';
import { createBackoff, grantedExpires, refreshDelayMs } from '../src/client/registration.js';
import { buildRegister } from '../src/client/requests.js';
import { firstSupportedAlgorithm } from '../src/client/sender.js';
import { stampWsVia as stampVia, wsTarget as targetOf } from '@sipts/transport';

const aor = { user: 'alice', domain: 'localhost', uri: 'sip:alice@localhost' };
const register = (): SipRequest => buildRegister({ aor, callId: 'c', fromTag: 'f', cseq: 1, contactUri: 'sip:k@h.invalid;transport=ws', expires: 600, instanceId: 'urn:uuid:1', outbound: false });

describe('parseAddress', () => {
  it.each([
    ['sip:alice@localhost', 'sip:alice@localhost'],
    ['  alice@localhost ', 'sip:alice@localhost'],
    ['alice@127.0.0.1:5070', 'sip:alice@127.0.0.1:5070'],
    ['SIP:bob@example.com;transport=ws', 'sip:bob@example.com'],
  ])('%s → %s', (text, uri) => {
    expect(parseAddress(text)?.uri).toBe(uri);
  });
  it('takes a default domain for a bare user name and refuses garbage', () => {
    expect(parseAddress('bob', 'localhost')?.uri).toBe('sip:bob@localhost');
    expect(parseAddress('bob')).toBeUndefined();
    expect(parseAddress('')).toBeUndefined();
    expect(parseAddress('sip:localhost')).toBeUndefined();
    expect(parseAddress('tel:+123')).toBeUndefined();
  });
});

describe('registration helpers', () => {
  it('reads the granted expiry from our Contact, then Expires, then what was asked', () => {
    const rq = register();
    const ours = { contactUri: 'sip:k@h.invalid;transport=ws', instanceId: 'urn:uuid:1' };
    const rs = makeResponse(rq, 200, undefined, {
      headers: { contact: [{ uri: 'sip:other@x', params: { expires: '30' } }, { uri: 'sip:k@h.invalid;transport=ws;ob', params: { expires: '300' } }], expires: '900' },
    });
    expect(grantedExpires(rs, ours, 600)).toBe(300);
    const byInstance = makeResponse(rq, 200, undefined, { headers: { contact: [{ uri: 'sip:changed@x', params: { expires: '200', '+sip.instance': '"<urn:uuid:1>"' } }] } });
    expect(grantedExpires(byInstance, ours, 600)).toBe(200);
    expect(grantedExpires(makeResponse(rq, 200, undefined, { headers: { expires: '900' } }), ours, 600)).toBe(900);
    expect(grantedExpires(makeResponse(rq, 200), ours, 600)).toBe(600);
  });
  it('refreshes a minute early for long bindings, halfway for short ones', () => {
    expect(refreshDelayMs(600)).toBe(540_000);
    expect(refreshDelayMs(60)).toBe(30_000);
    expect(refreshDelayMs(0)).toBe(1000);
  });
  it('backs off doubling up to the cap, with jitter, and resets', () => {
    const b = createBackoff(1000, 4000, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 4000]);
    b.reset();
    expect(b.next()).toBe(1000);
    expect(createBackoff(1000, 4000, () => 0).next()).toBe(800);
  });
  it('makes version-4 instance ids', () => {
    expect(newInstanceId()).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('challenge choice', () => {
  it('takes the first supported algorithm in the server order', () => {
    const md5 = createDigestServer({ realm: 'localhost', secret: 's', algorithms: ['MD5'] });
    const sha = createDigestServer({ realm: 'localhost', secret: 's', algorithms: ['SHA-256'] });
    const sha512 = createDigestServer({ realm: 'localhost', secret: 's', algorithms: ['SHA-512-256'] });
    const rs = md5.challenge(makeResponse(register(), 401));
    rs.headers['www-authenticate'] = [...(sha512.challenge(makeResponse(register(), 401)).headers['www-authenticate'] ?? []), ...(rs.headers['www-authenticate'] ?? []), ...(sha.challenge(makeResponse(register(), 401)).headers['www-authenticate'] ?? [])];
    expect(firstSupportedAlgorithm(rs)).toBe('MD5');
    rs.headers['www-authenticate'] = rs.headers['www-authenticate'].slice(2);
    expect(firstSupportedAlgorithm(rs)).toBe('SHA-256');
    expect(firstSupportedAlgorithm(makeResponse(register(), 401))).toBeUndefined();
  });
});

describe('plain errors', () => {
  const rq = register();
  it.each([
    [503, true, 'unreachable', /Cannot reach the server/],
    [408, true, 'timeout', /did not answer in time/],
    [401, false, 'wrong-password', /Wrong user name or password/],
    [403, false, 'forbidden', /does not allow this account/],
    [404, false, 'user-unknown', /does not know this user/],
    [500, false, 'unreachable', /could not handle the request right now \(500 Server Internal Error\)/],
    [488, false, 'rejected', /The server said no: 488 Not Acceptable Here\./],
  ])('%i (synthesized %s) → %s', (status, synthesized, kind, text) => {
    const e = errorForResponse(makeResponse(rq, status), { what: 'register', server: 'ws://h', synthesized });
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(text);
    expect(e.status).toBe(status);
  });
});

describe('WebSocket port helpers', () => {
  it('stamps Via with WS and the .invalid host, keeping the branch', () => {
    const rq = register();
    const branch = rq.headers.via?.[0]?.params.branch;
    stampVia(rq, 'WSS', 'abc.invalid');
    expect(rq.headers.via?.[0]).toMatchObject({ protocol: 'WSS', host: 'abc.invalid', port: undefined, params: { branch, rport: null } });
  });
  it('reads targets from URLs', () => {
    expect(targetOf('wss://sip.example.com/ws')).toMatchObject({ protocol: 'WSS', address: 'sip.example.com', port: 443, path: '/ws' });
    expect(targetOf('ws://[::1]:8088')).toMatchObject({ protocol: 'WS', address: '::1', port: 8088 });
  });
});
