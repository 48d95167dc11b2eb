/**
 * `@sipts/sip/digest`: the classic digest exports, a server/client round trip, and interop with
 * the classic package's own client (a classic app signing against a facade server).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse, stringifyMessage, type SipRequest, type SipResponse } from '@sipts/message';
import * as digest from '../src/digest.js';
import { makeResponse } from '../src/index.js';

const classicDigest = createRequire(import.meta.url)('sip/digest') as Record<string, (...a: unknown[]) => unknown>;

const EXPORTS = ['kd', 'calculateUserRealmPasswordHash', 'calculateHA1', 'calculateDigest', 'generateNonce', 'extractNonceTimestamp', 'challenge', 'authenticateRequest', 'signResponse', 'signRequest', 'authenticateResponse'];

function register(): SipRequest {
  return parse(
    'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nTo: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\nCall-ID: d1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n',
  ) as SipRequest;
}

describe('@sipts/sip/digest', () => {
  it('exports every classic digest function', () => {
    for (const name of EXPORTS) expect(typeof (digest as Record<string, unknown>)[name], name).toBe('function');
    expect(Object.keys(classicDigest).sort()).toEqual([...EXPORTS].sort());
  });

  it('computes the same hashes as the classic module', () => {
    expect(digest.kd('a', 'b', 'c')).toBe(classicDigest.kd?.('a', 'b', 'c'));
    expect(digest.calculateUserRealmPasswordHash('alice', 'example.com', 'secret')).toBe(classicDigest.calculateUserRealmPasswordHash?.('alice', 'example.com', 'secret'));
  });

  it('round trip: challenge, signRequest, authenticateRequest, signResponse, authenticateResponse', () => {
    const server: Record<string, unknown> = { realm: 'example.com' };
    const rq = register();
    const challenge = digest.challenge(server as never, makeResponse(rq, 401, 'Unauthorized'));
    const client: Record<string, unknown> = {};
    const signed = digest.signRequest(client as never, register(), challenge, { user: 'alice', password: 'secret' });
    expect(signed.headers.authorization).toHaveLength(1);
    expect(digest.authenticateRequest(server as never, signed, { user: 'alice', password: 'secret' })).toBe(true);
    const ok = digest.signResponse(server as never, makeResponse(signed, 200, 'OK'));
    expect(digest.authenticateResponse(client as never, ok)).toBe(true);
    const wrong = digest.signRequest({}, register(), challenge, { user: 'alice', password: 'wrong' });
    expect(digest.authenticateRequest({ ...server } as never, wrong, { user: 'alice', password: 'secret' })).toBe(false);
  });

  it('a request signed by the classic client is accepted by the facade server', () => {
    const server: Record<string, unknown> = { realm: 'example.com' };
    const challenge = digest.challenge(server as never, makeResponse(register(), 401, 'Unauthorized'));
    // Through the wire format, as a classic client would receive it.
    const wire = require_classic_parse(stringifyMessage(challenge));
    const rq = require_classic_parse(stringifyMessage(register()));
    classicDigest.signRequest?.({}, rq, wire, { user: 'alice', password: 'secret' });
    const back = parse(classicStringify(rq)) as SipRequest;
    expect(digest.authenticateRequest(server as never, back, { user: 'alice', password: 'secret' })).toBe(true);
  });
});

const classicSip = createRequire(import.meta.url)('sip') as { parse(s: string): Record<string, unknown>; stringify(m: unknown): string };
function require_classic_parse(s: string): SipResponse & SipRequest {
  return classicSip.parse(s) as never;
}
function classicStringify(m: unknown): string {
  return classicSip.stringify(m);
}
