/**
 * shareMessage: the forwarding copy (RFC 3261 §16.6). It shares header values, keeps the raw
 * lines (untouched headers go out as the bytes that came in) and isolates the writes a proxy
 * makes (Request-URI, Max-Forwards, Via, Route, Record-Route) from the original and from other copies.
 */
import { describe, expect, it } from 'vitest';
import { copyMessage, parseMessage, shareMessage, stringifyMessage, type SipRequest } from '../src/index.js';

const INVITE = [
  'INVITE sip:bob@127.0.0.2 SIP/2.0',
  'v:   SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1',
  'f: <sip:a@127.0.0.1>;tag=1',
  't: <sip:bob@127.0.0.2>',
  'i: share-1',
  'CSeq: 1 INVITE',
  'mAx-fOrWaRdS:    70',
  'Route: <sip:127.0.0.3;lr>, <sip:127.0.0.4;lr>',
  'm: <sip:a@127.0.0.1>',
  'X-Odd-Spacing:  x ',
  'User-Agent:   test',
  'l:   0',
  '',
  '',
].join('\r\n');

function lines(text: string): string[] {
  return text.split('\r\n\r\n')[0]?.split('\r\n').slice(1) ?? [];
}

function parsed(): SipRequest {
  return parseMessage(INVITE) as SipRequest;
}

describe('shareMessage', () => {
  it('serializes exactly as the original', () => {
    const m = parsed();
    expect(stringifyMessage(shareMessage(m))).toBe(stringifyMessage(parsed()));
  });

  it('writes the untouched text headers of a changed copy as the bytes that arrived', () => {
    const out = shareMessage(parsed());
    out.headers['max-forwards'] = '69';
    out.headers.via = [{ version: '2.0', protocol: 'UDP', host: '127.0.0.9', port: 5060, params: { branch: 'z9hG4bKx' } }, ...(out.headers.via ?? [])];
    const text = lines(stringifyMessage(out));
    expect(text).toContain('X-Odd-Spacing:  x ');
    expect(text).toContain('User-Agent:   test');
    expect(text).toContain('i: share-1');
    expect(text).toContain('Max-Forwards: 69');
    expect(text[0]).toBe('Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKx');
    // The deep copy the proxy used before loses the raw lines: the same headers come out re-spelled.
    const deep = copyMessage(parsed(), true);
    expect(lines(stringifyMessage(deep))).not.toContain('X-Odd-Spacing:  x ');
  });

  it('keeps the original as it was when the copy changes its Request-URI, Max-Forwards, Via and Route', () => {
    const m = parsed();
    const before = stringifyMessage(m);
    const out = shareMessage(m);
    out.uri = 'sip:carol@127.0.0.5';
    out.headers['max-forwards'] = '1';
    out.headers.via?.unshift({ version: '2.0', protocol: 'UDP', host: '127.0.0.9', port: undefined, params: { branch: 'z9hG4bKy' } });
    out.headers.route?.shift();
    expect(stringifyMessage(m)).toBe(before);
    expect(m.headers.via).toHaveLength(1);
    expect(m.headers.route).toHaveLength(2);
    expect(out.headers.route).toHaveLength(1);
  });

  it('gives two copies of one request (two fork branches) writes of their own', () => {
    const m = parsed();
    const a = shareMessage(m);
    const b = shareMessage(m);
    a.headers['record-route'] = [{ uri: 'sip:127.0.0.9;lr;t=a', params: {} }];
    b.headers['record-route'] = [{ uri: 'sip:127.0.0.9;lr;t=b', params: {} }];
    a.headers.route?.pop();
    expect(lines(stringifyMessage(a))).toContain('Record-Route: <sip:127.0.0.9;lr;t=a>');
    expect(lines(stringifyMessage(b))).toContain('Record-Route: <sip:127.0.0.9;lr;t=b>');
    expect(b.headers.route).toHaveLength(2);
    expect(m.headers['record-route']).toBeUndefined();
  });

  it('shares header values rather than copying them', () => {
    const m = parsed();
    const out = shareMessage(m);
    expect(out.headers.from).toBe(m.headers.from);
    expect(out.headers.contact).toEqual(m.headers.contact);
    expect(out.headers.via).not.toBe(m.headers.via);
    expect(out.headers.via?.[0]).toBe(m.headers.via?.[0]);
  });

  it('keeps a header named __proto__ an own header, leaving the prototype alone', () => {
    const m = parseMessage(INVITE.replace('User-Agent:   test', '__proto__: x'));
    const out = shareMessage(m);
    expect(Object.getPrototypeOf(out.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out.headers, '__proto__')?.value).toBe('x');
    expect(lines(stringifyMessage(out))).toEqual(lines(stringifyMessage(m)));
  });

  it('copies a message built in code (no raw lines)', () => {
    const m: SipRequest = { method: 'OPTIONS', uri: 'sip:bob@127.0.0.2', headers: { via: [], 'call-id': 'x', 'max-forwards': '70' } };
    const out = shareMessage(m);
    out.headers['max-forwards'] = '69';
    expect(m.headers['max-forwards']).toBe('70');
    expect(Object.keys(out.headers)).toEqual(['via', 'call-id', 'max-forwards']);
  });
});
