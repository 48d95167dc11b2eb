import { makeResponse, parseMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { nextHop } from '@sipts/transaction';
import { describe, expect, it } from 'vitest';
import { Dialog, OfferAnswer } from '../src/index.js';
import { resolveNumeric } from '../src/sender.js';

const INVITE = [
  'INVITE sip:bob@127.0.0.2 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@127.0.0.2>',
  'From: Alice <sip:alice@127.0.0.1>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@127.0.0.1:5061>',
  'Record-Route: <sip:127.0.0.10;lr>, <sip:127.0.0.11;lr>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const rq = (): SipRequest => parseMessage(INVITE) as SipRequest;

function ok(_request: SipRequest, extra: Record<string, string> = {}): SipResponse {
  const text = [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK776asdhds',
    'To: Bob <sip:bob@127.0.0.2>;tag=a6c85cf',
    'From: Alice <sip:alice@127.0.0.1>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33',
    'CSeq: 314159 INVITE',
    'Contact: <sip:bob@127.0.0.2:5062>',
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(text) as SipResponse;
}

describe('dialog creation (RFC 3261 §12.1)', () => {
  it('UAC: the route set is the 2xx\'s Record-Route reversed; the remote target its Contact; local CSeq the INVITE\'s', () => {
    const d = Dialog.fromUac(rq(), ok(rq(), { 'Record-Route': '<sip:127.0.0.11;lr>, <sip:127.0.0.10;lr>' }));
    expect(d.id).toEqual({ callId: 'a84b4c76e66710@pc33', localTag: '1928301774', remoteTag: 'a6c85cf' });
    expect(d.routeSet.map((r) => (typeof r.uri === 'string' ? r.uri : (r.uri as { host: string }).host))).toEqual(['127.0.0.10', '127.0.0.11']);
    expect(d.remoteTarget).toBe('sip:bob@127.0.0.2:5062');
    expect(d.localSeq).toBe(314159);
    expect(d.remoteSeq).toBeUndefined();
    expect(d.state).toBe('confirmed');
  });

  it('UAC: a 1xx with a To tag makes an early dialog; no To tag, no dialog', () => {
    const r180 = ok(rq());
    (r180 as { status: number }).status = 180;
    expect(Dialog.fromUac(rq(), r180).state).toBe('early');
    const noTag = makeResponse(rq(), 180);
    expect(() => Dialog.fromUac(rq(), noTag)).toThrow(/To tag/);
  });

  it('UAS: the route set is the request\'s Record-Route in order; the remote CSeq the request\'s', () => {
    const d = Dialog.fromUas(rq(), 'mytag');
    expect(d.id).toEqual({ callId: 'a84b4c76e66710@pc33', localTag: 'mytag', remoteTag: '1928301774' });
    expect(d.routeSet).toHaveLength(2);
    expect(d.remoteTarget).toBe('sip:alice@127.0.0.1:5061');
    expect(d.remoteSeq).toBe(314159);
    expect(d.localUri.params.tag).toBe('mytag');
  });
});

describe('requests within a dialog (RFC 3261 §12.2.1.1)', () => {
  it('loose routing: Request-URI is the remote target, Route the whole route set; CSeq goes up by one', () => {
    const d = Dialog.fromUas(rq(), 'mytag');
    const seq = d.localSeq;
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:alice@127.0.0.1:5061');
    expect(bye.headers.route).toHaveLength(2);
    expect(bye.headers.cseq).toEqual({ seq: seq + 1, method: 'BYE' });
    expect(bye.headers.to?.params.tag).toBe('1928301774');
    expect(bye.headers.from?.params.tag).toBe('mytag');
    expect(nextHop(bye)).toBe('sip:127.0.0.10;lr');
  });

  it('strict routing: the first route becomes the Request-URI, the remote target the last Route', () => {
    const strict = parseMessage(INVITE.replace('<sip:127.0.0.10;lr>, <sip:127.0.0.11;lr>', '<sip:127.0.0.10>, <sip:127.0.0.11;lr>')) as SipRequest;
    const d = Dialog.fromUas(strict, 't');
    const info = d.createRequest('INFO');
    expect(info.uri).toBe('sip:127.0.0.10');
    const routes = info.headers.route!.map((r) => (typeof r.uri === 'string' ? r.uri : JSON.stringify(r.uri)));
    expect(routes).toHaveLength(2);
    expect(routes[1]).toBe('sip:alice@127.0.0.1:5061');
  });

  it('ACK takes the INVITE\'s CSeq number and leaves the local CSeq alone', () => {
    const d = Dialog.fromUac(rq(), ok(rq()));
    const ack = d.createRequest('ACK', { cseq: 314159 });
    expect(ack.headers.cseq).toEqual({ seq: 314159, method: 'ACK' });
    expect(d.localSeq).toBe(314159);
  });

  it('the remote CSeq must go up (§12.2.2), and a target refresh replaces the remote target', () => {
    const d = Dialog.fromUas(rq(), 't');
    const next = rq();
    next.headers.cseq = { seq: 314160, method: 'INVITE' };
    next.headers.contact = [{ uri: 'sip:alice@127.0.0.9:5061', params: {} }];
    expect(d.acceptRemoteSeq(next)).toBe(true);
    expect(d.acceptRemoteSeq(next)).toBe(false);
    d.refreshTarget(next);
    expect(d.remoteTarget).toBe('sip:alice@127.0.0.9:5061');
  });

  it('a terminated dialog builds nothing', () => {
    const d = Dialog.fromUas(rq(), 't');
    d.state = 'terminated';
    expect(() => d.createRequest('BYE')).toThrow(/terminated/);
  });
});

describe('offer/answer bookkeeping (RFC 3264)', () => {
  it('tracks who owes an answer and refuses a second offer', () => {
    const oa = new OfferAnswer();
    oa.sendOffer('o1');
    expect(oa.state).toBe('local-offer');
    expect(() => oa.receiveOffer('x')).toThrow(/glare/);
    oa.receiveAnswer('a1');
    expect([oa.state, oa.local, oa.remote]).toEqual(['stable', 'o1', 'a1']);
    expect(oa.receiveBody('o2')).toBe('offer');
    oa.sendAnswer('a2');
    expect([oa.local, oa.remote]).toEqual(['a2', 'o2']);
    oa.sendOffer('o3');
    oa.rollback();
    expect([oa.state, oa.local]).toEqual(['stable', 'a2']);
  });
});

describe('resolveNumeric', () => {
  it('reads the transport parameter and default ports; names give nothing (no DNS here)', () => {
    expect(resolveNumeric('sip:bob@127.0.0.2:5070;transport=tcp')).toEqual([{ protocol: 'TCP', address: '127.0.0.2', port: 5070 }]);
    expect(resolveNumeric('sips:bob@127.0.0.2')).toEqual([{ protocol: 'TLS', address: '127.0.0.2', port: 5061 }]);
    expect(resolveNumeric('sip:bob@[::1]:5080')).toEqual([{ protocol: 'UDP', address: '::1', port: 5080 }]);
    expect(resolveNumeric('sip:bob@example.com')).toEqual([]);
  });
});
