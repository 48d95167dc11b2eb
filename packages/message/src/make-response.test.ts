/**
 * makeResponse (RFC 3261 §8.2.6) and copyMessage (the classic `sip.copyMessage`).
 */
import { describe, expect, it } from 'vitest';
import {
  copyMessage,
  makeResponse,
  parseMessage,
  reasonPhrase,
  serializeMessage,
  stringifyMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from './index.js';

const INVITE =
  'INVITE sip:bob@biloxi.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n' +
  'Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: Bob <sip:bob@biloxi.com>\r\n' +
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Contact: <sip:alice@pc33.atlanta.com>\r\n' +
  'Record-Route: <sip:p1.example.com;lr>\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'v=0\n';

function invite(): SipRequest {
  return parseMessage(INVITE) as SipRequest;
}

describe('makeResponse', () => {
  it('builds a response with the request’s Via, To, From, Call-ID and CSeq only', () => {
    const rq = invite();
    const rs = makeResponse(rq, 486, 'Busy Here');
    expect(rs).toStrictEqual({
      status: 486,
      reason: 'Busy Here',
      version: '2.0',
      headers: {
        via: rq.headers.via,
        to: rq.headers.to,
        from: rq.headers.from,
        'call-id': 'a84b4c76e66710@pc33.atlanta.com',
        cseq: { seq: 314159, method: 'INVITE' },
      },
      content: '',
    });
  });

  it('copies the header values instead of sharing them', () => {
    const rq = invite();
    const rs = makeResponse(rq, 200);
    expect(rs.headers.via).not.toBe(rq.headers.via);
    expect(rs.headers.via?.[0]).not.toBe(rq.headers.via?.[0]);
    expect(rs.headers.via?.[0]?.params).not.toBe(rq.headers.via?.[0]?.params);
    expect(rs.headers.to).not.toBe(rq.headers.to);
    expect(rs.headers.to?.params).not.toBe(rq.headers.to?.params);
    expect(rs.headers.from).not.toBe(rq.headers.from);
    expect(rs.headers.from?.params).not.toBe(rq.headers.from?.params);
    expect(rs.headers.cseq).not.toBe(rq.headers.cseq);
  });

  it('leaves the request unchanged when the response is changed', () => {
    const rq = invite();
    const before = structuredClone(rq);
    const rs = makeResponse(rq, 200, undefined, { toTag: 'x' });
    const to = rs.headers.to;
    if (to === undefined) throw new Error('no To');
    to.params.tag = 'changed';
    to.name = 'Changed';
    rs.headers.via?.shift();
    const via = rs.headers.via?.[0];
    if (via === undefined) throw new Error('no Via');
    via.params.received = '203.0.113.9';
    if (rs.headers.cseq !== undefined) rs.headers.cseq.seq = 1;
    if (rs.headers.from !== undefined) rs.headers.from.params.tag = 'other';
    expect(rq).toStrictEqual(before);
  });

  it.each([
    [100, 'Trying'],
    [180, 'Ringing'],
    [200, 'OK'],
    [401, 'Unauthorized'],
    [404, 'Not Found'],
    [407, 'Proxy Authentication Required'],
    [408, 'Request Timeout'],
    [481, 'Call/Transaction Does Not Exist'],
    [487, 'Request Terminated'],
    [500, 'Server Internal Error'],
    [503, 'Service Unavailable'],
    [603, 'Decline'],
  ])('defaults the reason of %i to "%s"', (status, phrase) => {
    expect(makeResponse(invite(), status).reason).toBe(phrase);
    expect(reasonPhrase(status)).toBe(phrase);
  });

  it('keeps a given reason', () => {
    expect(makeResponse(invite(), 302, 'Moved Temporarily').reason).toBe('Moved Temporarily');
    expect(makeResponse(invite(), 200, 'Very OK').reason).toBe('Very OK');
  });

  it('sets the To tag when the request’s To has none', () => {
    const rq = invite();
    const rs = makeResponse(rq, 180, undefined, { toTag: 'a6c85cf' });
    expect(rs.headers.to).toStrictEqual({ name: 'Bob', uri: 'sip:bob@biloxi.com', params: { tag: 'a6c85cf' } });
    expect(rq.headers.to?.params).toStrictEqual({});
  });

  it('keeps an existing To tag (an in-dialog request)', () => {
    const rq = parseMessage(INVITE.replace('To: Bob <sip:bob@biloxi.com>', 'To: Bob <sip:bob@biloxi.com>;tag=existing')) as SipRequest;
    const rs = makeResponse(rq, 200, undefined, { toTag: 'new' });
    expect(rs.headers.to?.params.tag).toBe('existing');
  });

  it('adds no To tag without toTag', () => {
    const rs = makeResponse(invite(), 200);
    expect(rs.headers.to?.params).toStrictEqual({});
  });

  it('merges extension headers over the copied ones and sets the content', () => {
    const rq = invite();
    const rs = makeResponse(rq, 302, undefined, {
      headers: { contact: [{ uri: 'sip:bob@backup.biloxi.com', params: {} }], 'call-id': 'overridden' },
      content: 'ü€',
    });
    expect(rs.headers.contact).toStrictEqual([{ uri: 'sip:bob@backup.biloxi.com', params: {} }]);
    expect(rs.headers['call-id']).toBe('overridden');
    expect(rs.content).toBe('ü€');
    expect(rq.headers['call-id']).toBe('a84b4c76e66710@pc33.atlanta.com');
    expect(rq.headers.contact).toStrictEqual([{ name: undefined, uri: 'sip:alice@pc33.atlanta.com', params: {} }]);
  });

  it('omits the headers the request does not have', () => {
    const rq: SipRequest = { method: 'OPTIONS', uri: 'sip:x', headers: { 'call-id': 'c' } };
    const rs = makeResponse(rq, 200);
    expect(rs.headers).toStrictEqual({ 'call-id': 'c' });
    expect(rs.version).toBe('2.0');
  });

  it('serializes to a response that parses back with the same transaction keys', () => {
    const rq = invite();
    const rs = makeResponse(rq, 180, undefined, { toTag: 't1' });
    const back = parseMessage(serializeMessage(rs));
    expect(back.status).toBe(180);
    expect(back.reason).toBe('Ringing');
    expect(back.headers.via).toStrictEqual(rq.headers.via);
    expect(back.headers.cseq).toStrictEqual(rq.headers.cseq);
    expect(back.headers['call-id']).toBe(rq.headers['call-id']);
    expect(back.headers.from).toStrictEqual(rq.headers.from);
    expect(back.headers.to?.params.tag).toBe('t1');
    expect(back.headers['content-length']).toBe(0);
    expect(stringifyMessage(rs).startsWith('SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n')).toBe(true);
  });
});

/** Every object reachable from `v`, to check that a deep copy shares none. */
function objectsIn(v: unknown, out = new Set<object>()): Set<object> {
  if (v !== null && typeof v === 'object' && !out.has(v)) {
    out.add(v);
    if (!(v instanceof Uint8Array)) for (const x of Object.values(v)) objectsIn(x, out);
  }
  return out;
}

describe('copyMessage', () => {
  it('shallow: new message, headers and Via array; header values shared; version kept', () => {
    const m = invite();
    const c = copyMessage(m);
    expect(c).not.toBe(m);
    expect(c).toStrictEqual(m);
    expect(c.headers).not.toBe(m.headers);
    expect(c.headers.via).not.toBe(m.headers.via);
    expect(c.headers.via?.[0]).toBe(m.headers.via?.[0]);
    expect(c.headers.to).toBe(m.headers.to);
    expect(c.headers.contact).toBe(m.headers.contact);
    expect(c.version).toBe('2.0');
    expect(c.method).toBe('INVITE');
    expect(c.uri).toBe('sip:bob@biloxi.com');
    expect(c.content).toBe('v=0\n');
  });

  it('shallow: adding headers or Vias to the copy leaves the original alone', () => {
    const m = invite();
    const c = copyMessage(m);
    c.headers.via?.unshift({ version: '2.0', protocol: 'UDP', host: 'proxy', port: undefined, params: { branch: 'z9hG4bKp' } });
    c.headers['max-forwards'] = '69';
    c.headers['x-added'] = 'yes';
    c.uri = 'sip:bob@192.0.2.4';
    expect(m.headers.via).toHaveLength(2);
    expect(m.headers['max-forwards']).toBe('70');
    expect(m.headers['x-added']).toBeUndefined();
    expect(m.uri).toBe('sip:bob@biloxi.com');
  });

  it('deep: an equal message that shares no object with the original', () => {
    const m = invite();
    const c = copyMessage(m, true);
    expect(c).toStrictEqual(m);
    const original = objectsIn(m);
    for (const o of objectsIn(c)) expect(original.has(o)).toBe(false);
    const route = c.headers['record-route']?.[0];
    if (route === undefined || typeof route.uri === 'string' || !('params' in route.uri)) throw new Error('Record-Route URI not parsed');
    route.uri.params.lr = 'changed';
    const originalRoute = m.headers['record-route']?.[0]?.uri;
    expect(typeof originalRoute === 'object' && 'params' in originalRoute ? originalRoute.params.lr : 'missing').toBeNull();
  });

  it('deep: copies a byte body', () => {
    const m: SipMessage = { status: 200, reason: 'OK', version: '2.0', headers: { 'call-id': 'c' }, content: Uint8Array.from([1, 2, 3]) };
    const c = copyMessage(m, true);
    expect(c.content).toEqual(Uint8Array.from([1, 2, 3]));
    expect(c.content).not.toBe(m.content);
    (c.content as Uint8Array)[0] = 9;
    expect(m.content).toEqual(Uint8Array.from([1, 2, 3]));
  });

  it('copies a response, keeping status and reason', () => {
    const rs: SipResponse = makeResponse(invite(), 183, 'Session Progress', { content: 'x' });
    for (const deep of [false, true]) {
      const c = copyMessage(rs, deep);
      expect(c).toStrictEqual(rs);
      expect(c.headers).not.toBe(rs.headers);
    }
  });

  it('does not modify the original', () => {
    const m = invite();
    const before = structuredClone(m);
    copyMessage(m);
    copyMessage(m, true);
    expect(m).toStrictEqual(before);
  });
});
