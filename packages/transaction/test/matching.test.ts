/**
 * Transaction keys (RFC 3261 §17.1.3, §17.2.3, §9.2, §8.2.2.2) as tables: which pairs of messages
 * belong to the same transaction and which do not.
 */
import { describe, expect, it } from 'vitest';
import { makeResponse } from '@sipts/message';
import { hasMagicCookie } from '@sipts/transport';
import { ackKeys, clientKey, clientKeyFor, mergeKey, responseServerKey, serverKey, toTag } from '../src/matching.js';
import { request, response, type RequestParts } from './layer-messages.js';

const INVITE: RequestParts = { method: 'INVITE', via: 'SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhds' };
const OLD: RequestParts = { method: 'INVITE', via: 'SIP/2.0/UDP host.example.com:5060' };

describe('server transaction keys for RFC 3261 requests (§17.2.3)', () => {
  const same: [string, RequestParts, RequestParts][] = [
    ['a retransmission', INVITE, INVITE],
    ['sent-by host in another case', INVITE, { ...INVITE, via: 'SIP/2.0/UDP HOST.Example.COM:5060;branch=z9hG4bK776asdhds' }],
    ['other Via parameters (received, rport)', INVITE, { ...INVITE, via: 'SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhds;rport=5070;received=192.0.2.9' }],
    ['a different Request-URI, Call-ID or From tag (the branch decides)', INVITE, { ...INVITE, uri: 'sip:carol@example.com', callId: 'other', from: '<sip:a@b>;tag=zz' }],
    ['a branch differing only in case (parameter values compare case-insensitively, §7.3.1)', INVITE, { ...INVITE, via: 'SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776ASDHDS' }],
    ['the ACK of the INVITE', INVITE, { ...INVITE, method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=987' }],
  ];
  it.each(same)('%s: same key', (_, a, b) => {
    const ka = serverKey(request(a));
    expect(ka).toBeDefined();
    expect(serverKey(request(b))).toBe(ka);
  });

  const differ: [string, RequestParts, RequestParts][] = [
    ['another branch', INVITE, { ...INVITE, via: 'SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhdX' }],
    ['another sent-by host', INVITE, { ...INVITE, via: 'SIP/2.0/UDP other.example.com:5060;branch=z9hG4bK776asdhds' }],
    ['another sent-by port', INVITE, { ...INVITE, via: 'SIP/2.0/UDP host.example.com:5070;branch=z9hG4bK776asdhds' }],
    ['no sent-by port against 5060', INVITE, { ...INVITE, via: 'SIP/2.0/UDP host.example.com;branch=z9hG4bK776asdhds' }],
    ['another method with the same branch', INVITE, { ...INVITE, method: 'OPTIONS', cseq: '1 OPTIONS' }],
    ['a CANCEL (its own transaction)', INVITE, { ...INVITE, method: 'CANCEL', cseq: '1 CANCEL' }],
  ];
  it.each(differ)('%s: different key', (_, a, b) => {
    expect(serverKey(request(b))).not.toBe(serverKey(request(a)));
  });

  it('finds the INVITE a CANCEL cancels (§9.2)', () => {
    const cancel = request({ ...INVITE, method: 'CANCEL', cseq: '1 CANCEL' });
    expect(serverKey(cancel, 'INVITE')).toBe(serverKey(request(INVITE)));
  });

  it('treats a branch of exactly the magic cookie as RFC 3261 (RFC 4475 badbranch)', () => {
    expect(hasMagicCookie('z9hG4bK')).toBe(true);
    const a = request({ via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK', uri: 'sip:a@b' });
    const b = request({ via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK', uri: 'sip:other@b', callId: 'x' });
    expect(serverKey(a)?.startsWith('3')).toBe(true);
    expect(serverKey(b)).toBe(serverKey(a));
  });

  it.each([
    ['z9hG4bKabc', true],
    ['z9hG4bK', true],
    ['z9hg4bkabc', false],
    ['abc', false],
    [undefined, false],
    [42, false],
  ] as const)('hasMagicCookie(%s) is %s', (branch, yes) => {
    expect(hasMagicCookie(branch)).toBe(yes);
  });

  it('has no key without Via or CSeq', () => {
    expect(serverKey(request({ via: null }))).toBeUndefined();
    expect(serverKey(request({ cseq: null }))).toBeUndefined();
  });
});

describe('server transaction keys for RFC 2543 requests (§17.2.3 fallback)', () => {
  const same: [string, RequestParts, RequestParts][] = [
    ['a retransmission', OLD, OLD],
    ['received and rport added to the top Via', OLD, { ...OLD, via: 'SIP/2.0/UDP host.example.com:5060;received=192.0.2.7;rport=5060' }],
    ['a branch without the cookie, retransmitted', { ...OLD, via: 'SIP/2.0/UDP h:5060;branch=1234' }, { ...OLD, via: 'SIP/2.0/UDP h:5060;branch=1234' }],
    ['a second Via differing (only the top one counts)', { ...OLD, extra: ['Via: SIP/2.0/UDP a.example.com'] }, { ...OLD, extra: ['Via: SIP/2.0/UDP b.example.com'] }],
  ];
  it.each(same)('%s: same key', (_, a, b) => {
    const ka = serverKey(request(a));
    expect(ka?.startsWith('2')).toBe(true);
    expect(serverKey(request(b))).toBe(ka);
  });

  const differ: [string, RequestParts][] = [
    ['Request-URI', { ...OLD, uri: 'sip:carol@example.com' }],
    ['To tag', { ...OLD, to: '<sip:bob@example.com>;tag=x' }],
    ['From tag', { ...OLD, from: '<sip:alice@example.com>;tag=other' }],
    ['Call-ID', { ...OLD, callId: 'call-2@example.com' }],
    ['CSeq number', { ...OLD, cseq: '2 INVITE' }],
    ['top Via host', { ...OLD, via: 'SIP/2.0/UDP other.example.com:5060' }],
    ['top Via port', { ...OLD, via: 'SIP/2.0/UDP host.example.com:5061' }],
    ['top Via transport', { ...OLD, via: 'SIP/2.0/TCP host.example.com:5060' }],
    ['top Via branch (without cookie)', { ...OLD, via: 'SIP/2.0/UDP host.example.com:5060;branch=abc' }],
    ['method', { ...OLD, method: 'OPTIONS', cseq: '1 OPTIONS' }],
  ];
  it.each(differ)('another %s: different key', (_, b) => {
    expect(serverKey(request(b))).not.toBe(serverKey(request(OLD)));
  });

  it('matches the ACK of a non-2xx by the INVITE key although the ACK carries the response To tag', () => {
    const ack = request({ ...OLD, method: 'ACK', cseq: '1 ACK', to: '<sip:bob@example.com>;tag=resp' });
    expect(serverKey(ack)).not.toBe(serverKey(request(OLD)));
    expect(ackKeys(ack)).toContain(serverKey(request(OLD)));
  });

  it('matches the ACK of a re-INVITE (To tag in both) by its own key first', () => {
    const reinvite: RequestParts = { ...OLD, to: '<sip:bob@example.com>;tag=dlg', cseq: '2 INVITE' };
    const ack = request({ ...reinvite, method: 'ACK', cseq: '2 ACK' });
    expect(ackKeys(ack)[0]).toBe(serverKey(request(reinvite)));
  });

  it('does not match an ACK with another Request-URI or CSeq number', () => {
    const keys = [...ackKeys(request({ ...OLD, method: 'ACK', cseq: '2 ACK' })), ...ackKeys(request({ ...OLD, uri: 'sip:x@y', method: 'ACK', cseq: '1 ACK' }))];
    expect(keys).not.toContain(serverKey(request(OLD)));
  });

  it('finds the INVITE of an RFC 2543 CANCEL (§9.2)', () => {
    const cancel = request({ ...OLD, method: 'CANCEL', cseq: '1 CANCEL' });
    expect(serverKey(cancel, 'INVITE')).toBe(serverKey(request(OLD)));
    expect(serverKey(cancel)).not.toBe(serverKey(request(OLD)));
  });

  it('gives an RFC 3261 ACK a single key', () => {
    expect(ackKeys(request({ ...INVITE, method: 'ACK', cseq: '1 ACK', to: '<sip:b@c>;tag=t' }))).toEqual([serverKey(request(INVITE))]);
  });
});

describe('client transaction keys (§17.1.3)', () => {
  it.each([
    ['a 180 to the INVITE', { cseq: '1 INVITE', status: 180 }, 'z9hG4bKbranch1', 'INVITE'],
    ['a 200 to the CANCEL of that INVITE', { cseq: '1 CANCEL' }, 'z9hG4bKbranch1', 'CANCEL'],
    ['a response whose sent-by differs', { cseq: '1 INVITE', via: 'SIP/2.0/UDP elsewhere;branch=z9hG4bKbranch1' }, 'z9hG4bKbranch1', 'INVITE'],
  ] as const)('%s: branch + CSeq method', (_, parts, branch, method) => {
    expect(clientKey(response(parts))).toBe(clientKeyFor(branch, method));
  });

  it('compares branches case-insensitively (§7.3.1)', () => {
    expect(clientKey(response({ via: 'SIP/2.0/UDP h;branch=z9hG4bKAbC', cseq: '1 INVITE' }))).toBe(clientKeyFor('z9hG4bKabc', 'INVITE'));
  });

  it('compares the magic cookie case-insensitively too, and a branch without it', () => {
    expect(clientKeyFor('Z9HG4BKabc', 'INVITE')).toBe(clientKeyFor('z9hG4bKABC', 'INVITE'));
    expect(clientKeyFor('z9hg4bkabc', 'INVITE')).toBe(clientKeyFor('z9hG4bKabc', 'INVITE'));
    expect(clientKeyFor('z9hG4bKabc', 'INVITE')).not.toBe(clientKeyFor('z9hG4bKabd', 'INVITE'));
    expect(clientKeyFor('XyZ', 'BYE')).toBe(clientKeyFor('xyz', 'BYE'));
  });

  it('tells the INVITE and CANCEL transactions of one branch apart', () => {
    expect(clientKey(response({ cseq: '1 INVITE' }))).not.toBe(clientKey(response({ cseq: '1 CANCEL' })));
  });

  it('has no key without a branch', () => {
    expect(clientKey(response({ via: 'SIP/2.0/UDP 192.0.2.1' }))).toBeUndefined();
  });
});

describe('the server transaction of a response (for sending through it)', () => {
  it('is the key of the request the response was built from', () => {
    const rq = request({ ...INVITE, via: 'SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.1' });
    expect(responseServerKey(makeResponse(rq, 180))).toBe(serverKey(rq));
  });

  it('is undefined for an RFC 2543 request (its key needs the Request-URI)', () => {
    expect(responseServerKey(makeResponse(request(OLD), 200))).toBeUndefined();
  });
});

describe('merged requests (§8.2.2.2)', () => {
  it('keys requests without a To tag by From tag, Call-ID and CSeq, whatever the branch', () => {
    const a = request({ method: 'INVITE', via: 'SIP/2.0/UDP p1.example.com;branch=z9hG4bKaaa' });
    const b = request({ method: 'INVITE', via: 'SIP/2.0/UDP p2.example.com;branch=z9hG4bKbbb' });
    expect(mergeKey(a)).toBeDefined();
    expect(mergeKey(b)).toBe(mergeKey(a));
    expect(serverKey(b)).not.toBe(serverKey(a));
  });

  it.each([
    ['a To tag', { to: '<sip:bob@example.com>;tag=t' }],
    ['an ACK', { method: 'ACK', cseq: '1 ACK' }],
  ] as const)('has no merge key for %s', (_, parts) => {
    expect(mergeKey(request(parts))).toBeUndefined();
  });

  it('keeps CANCEL and INVITE apart (the CSeq method differs)', () => {
    expect(mergeKey(request({ method: 'CANCEL', cseq: '1 CANCEL' }))).not.toBe(mergeKey(request({ method: 'INVITE', cseq: '1 INVITE' })));
  });

  it('reads To tags', () => {
    expect(toTag(request({ to: '<sip:b@c>;tag=abc' }))).toBe('abc');
    expect(toTag(request())).toBe('');
  });
});
