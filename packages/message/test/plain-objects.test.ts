/**
 * Parse results are plain data however they are made: every object in a parsed message has
 * `Object.prototype` as its prototype (as `{}` has), its keys in the order the classic model writes
 * them, and a structured clone (which makes literal objects) equals it, prototypes included. The
 * parser makes messages, Via and name-addr values with constructors (plain.ts), not literals.
 */
import { describe, expect, it } from 'vitest';
import { makeResponse, parseMessage, type SipMessage, type SipRequest } from '../src/index.js';
import { EVERYDAY } from './everyday.js';

/** Every object reachable from `value` that is not an array, a typed array or null. */
function objectsIn(value: unknown, out: object[] = []): object[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  if (Array.isArray(value)) {
    for (const v of value) objectsIn(v, out);
    return out;
  }
  out.push(value);
  for (const v of Object.values(value)) objectsIn(v, out);
  return out;
}

const messages: [string, SipMessage][] = Object.entries(EVERYDAY).map(([name, text]) => [name, parseMessage(text)]);

describe('parsed messages are plain objects', () => {
  it.each(messages)('%s: every object has Object.prototype as its prototype', (_name, m) => {
    const objects = objectsIn(m);
    expect(objects.length).toBeGreaterThan(3);
    for (const o of objects) expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
  });

  it.each(messages)('%s: a structured clone equals the message, prototypes included', (_name, m) => {
    expect(structuredClone(m)).toStrictEqual(m);
  });

  it('keys come in the classic order: message, Via, name-addr', () => {
    const rq = parseMessage('INVITE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: "A" <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: c@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(Object.keys(rq)).toEqual(['method', 'uri', 'version', 'headers', 'content']);
    expect(Object.keys(rq.headers.via?.[0] ?? {})).toEqual(['version', 'protocol', 'host', 'port', 'params']);
    expect(Object.keys(rq.headers.from ?? {})).toEqual(['name', 'uri', 'params']);
    const rs = parseMessage('SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nCall-ID: c@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(Object.keys(rs)).toEqual(['status', 'reason', 'version', 'headers', 'content']);
    expect(JSON.parse(JSON.stringify(rs))).toEqual({ status: 180, reason: 'Ringing', version: '2.0', headers: rs.headers, content: '' });
  });

  it('makeResponse builds a plain response in the classic key order', () => {
    const rq = parseMessage(EVERYDAY.invite ?? '');
    const rs = makeResponse(rq as SipRequest, 200, undefined, { content: 'v=0\r\n' });
    expect(Object.getPrototypeOf(rs)).toBe(Object.prototype);
    expect(Object.keys(rs)).toEqual(['status', 'reason', 'version', 'headers', 'content']);
    expect(structuredClone(rs)).toStrictEqual(rs);
    expect(rs.content).toBe('v=0\r\n');
  });
});
