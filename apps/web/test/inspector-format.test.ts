/**
 * How the inspector shows header values (src/inspector/header-view.ts) and marks an error offset
 * (src/inspector/raw-text.ts): pure logic, run in Node on messages parsed by @sipts/message.
 */
import { parseMessage, type SipMessage } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { ABSENT, headerView, headerViews, paramsText, paramValue, startLineFields, uriFields, type Field, type HeaderView } from '../src/inspector/header-view.js';
import { describeChar, highlightAt } from '../src/inspector/raw-text.js';
import { nextIndex } from '../src/inspector/render-list.js';
import { EXAMPLE_INVITE } from '../src/inspector/samples.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function view(m: SipMessage, name: string): HeaderView {
  const v = headerViews(m).find((x) => x.name.toLowerCase() === name);
  if (v === undefined) throw new Error(`no ${name} view`);
  return v;
}

function fieldsOf(v: HeaderView, group = 0): Record<string, string> {
  if (v.kind !== 'fields') throw new Error(`${v.name} is ${v.kind}`);
  return Object.fromEntries((v.groups[group] ?? []).map((f: Field) => [f.label, f.value]));
}

const invite = parseMessage(EXAMPLE_INVITE);

describe('header views of the example INVITE', () => {
  it('shows the Via stack as a table with branch, received and rport', () => {
    const v = view(invite, 'via');
    expect(v.kind).toBe('table');
    if (v.kind !== 'table') return;
    expect(v.columns).toEqual(['#', 'Transport', 'Host', 'Port', 'Branch', 'Received', 'Rport', 'Other parameters']);
    expect(v.rows).toEqual([
      ['1', 'SIP/2.0/TCP', 'proxy.atlanta.example.com', '5060', 'z9hG4bK2d4790.1', ABSENT, ABSENT, ABSENT],
      ['2', 'SIP/2.0/UDP', '192.0.2.10', '5060', 'z9hG4bK74bf9', '198.51.100.7', '50312', ABSENT],
    ]);
  });

  it('shows From and To with their tags and URI parts', () => {
    const from = fieldsOf(view(invite, 'from'));
    expect(from).toMatchObject({ 'Display name': '"Alice Liddell"', URI: 'sip:alice@atlanta.example.com', Tag: '9fxced76sl', Scheme: 'sip', User: 'alice', Host: 'atlanta.example.com', Port: ABSENT });
    const to = fieldsOf(view(invite, 'to'));
    expect(to).toMatchObject({ 'Display name': 'Bob', Tag: ABSENT, User: 'bob' });
  });

  it('shows CSeq, Call-ID and text headers', () => {
    expect(fieldsOf(view(invite, 'cseq'))).toEqual({ 'Sequence number': '2', Method: 'INVITE' });
    expect(view(invite, 'call-id')).toEqual({ kind: 'text', name: 'Call-ID', value: '3848276298220188511@atlanta.example.com' });
    expect(view(invite, 'max-forwards')).toEqual({ kind: 'text', name: 'Max-Forwards', value: '69' });
  });

  it('shows the Contact list with URI parts and expires', () => {
    const v = view(invite, 'contact');
    if (v.kind !== 'table') throw new Error('contact is not a table');
    expect(v.rows).toEqual([['1', ABSENT, 'sip:alice@192.0.2.10:5060;transport=udp', 'alice', '192.0.2.10', '5060', 'transport=udp', '3600', ABSENT, ABSENT]]);
  });

  it('shows the digest parameters of Proxy-Authorization', () => {
    const auth = fieldsOf(view(invite, 'proxy-authorization'));
    expect(auth).toMatchObject({ Scheme: 'Digest', username: '"alice"', realm: '"atlanta.example.com"', algorithm: 'SHA-256', qop: 'auth', nc: '00000001' });
  });

  it('shows Record-Route entries with their parsed URI', () => {
    const v = view(invite, 'record-route');
    if (v.kind !== 'table') throw new Error('record-route is not a table');
    expect(v.rows).toEqual([['1', ABSENT, 'sip:proxy.atlanta.example.com;lr', ABSENT, 'proxy.atlanta.example.com', ABSENT, 'lr', ABSENT]]);
  });

  it('lists every header of the message, in order', () => {
    expect(headerViews(invite).map((v) => v.name)).toEqual(Object.keys(invite.headers).map((k) => headerView(k, invite.headers[k]!).name));
    expect(headerViews(invite)).toHaveLength(Object.keys(invite.headers).length);
  });

  it('shows the start line with the Request-URI parts', () => {
    const f = Object.fromEntries(startLineFields(invite).map((x) => [x.label, x.value]));
    expect(f).toMatchObject({ Method: 'INVITE', 'Request-URI': 'sip:bob@biloxi.example.com;transport=tcp', User: 'bob', 'URI parameters': 'transport=tcp', Version: 'SIP/2.0' });
    const ok = parseMessage('SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(startLineFields(ok)).toEqual([{ label: 'Status', value: '486' }, { label: 'Reason', value: 'Busy Here' }, { label: 'Version', value: 'SIP/2.0' }]);
  });
});

describe('URI parts and parameters', () => {
  it('splits sip, sips, tel and other URIs', () => {
    expect(uriFields('sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi')).toEqual([
      { label: 'Scheme', value: 'sips' },
      { label: 'User', value: 'alice' },
      { label: 'Password', value: 'secret' },
      { label: 'Host', value: '[2001:db8::1]' },
      { label: 'Port', value: '5061' },
      { label: 'URI parameters', value: 'transport=tcp; lr' },
      { label: 'URI headers', value: 'subject=hi' },
    ]);
    expect(uriFields('tel:+15551234;phone-context=example.com')).toEqual([
      { label: 'Scheme', value: 'tel' },
      { label: 'Number', value: '+15551234' },
      { label: 'URI parameters', value: 'phone-context=example.com' },
    ]);
    expect(uriFields('urn:service:sos')).toEqual([{ label: 'Scheme', value: 'urn' }, { label: 'Opaque part', value: 'service:sos' }]);
    expect(uriFields('not a uri')).toEqual([{ label: 'URI (not parsed)', value: 'not a uri' }]);
  });

  it('writes parameters and tells absent from valueless', () => {
    expect(paramsText({ a: '1', lr: null, tag: 'x' }, ['tag'])).toBe('a=1; lr');
    expect(paramsText({})).toBe(ABSENT);
    expect(paramValue({ rport: null }, 'rport')).toBe('(no value)');
    expect(paramValue({}, 'rport')).toBe(ABSENT);
    expect(paramValue({ rport: 5060 }, 'rport')).toBe('5060');
  });

  it('shows Contact: * without URI parts', () => {
    const m = parseMessage('REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n');
    const v = view(m, 'contact');
    if (v.kind !== 'table') throw new Error('contact is not a table');
    expect(v.rows[0]!.slice(0, 7)).toEqual(['1', ABSENT, '*', ABSENT, ABSENT, ABSENT, ABSENT]);
  });
});

describe('highlightAt', () => {
  it('splits the text around a byte offset and gives line and column', () => {
    const h = highlightAt(enc('INVITE x\r\nVia: é!\r\n'), 17);
    expect(h).toMatchObject({ before: 'INVITE x\r\nVia: é', at: '!', offset: 17, line: 2, column: 7 });
    expect(h.before + h.at + h.after).toBe('INVITE x\r\nVia: é!\r\n');
  });

  it('marks a whole multi-byte character, and the end of input as empty', () => {
    expect(highlightAt(enc('aéb'), 1).at).toBe('é');
    // An offset inside the character still marks all of it.
    expect(highlightAt(enc('aéb'), 2)).toMatchObject({ before: 'a', at: 'é', after: 'b', offset: 2 });
    expect(highlightAt(enc('a\u{1F600}b'), 4)).toMatchObject({ before: 'a', at: '\u{1F600}', after: 'b' });
    const end = highlightAt(enc('abc'), 3);
    expect(end).toMatchObject({ before: 'abc', at: '', after: '' });
    expect(highlightAt(enc('abc'), 99).offset).toBe(3);
  });

  it('names invisible characters', () => {
    expect(['\r', '\n', '\t', ' ', '', '\u0001', 'x'].map(describeChar)).toEqual(['CR', 'LF', 'tab', 'space', 'end of input', 'control character U+0001', undefined]);
  });
});

describe('list keys', () => {
  it('moves with j/k, arrows, Home and End, clamped', () => {
    expect(nextIndex('j', 0, 3)).toBe(1);
    expect(nextIndex('ArrowDown', 2, 3)).toBe(2);
    expect(nextIndex('k', 0, 3)).toBe(0);
    expect(nextIndex('ArrowUp', 2, 3)).toBe(1);
    expect(nextIndex('Home', 2, 3)).toBe(0);
    expect(nextIndex('End', 0, 3)).toBe(2);
    expect(nextIndex('x', 0, 3)).toBeUndefined();
    expect(nextIndex('j', -1, 0)).toBeUndefined();
  });
});
