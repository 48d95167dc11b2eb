/**
 * stringifyMessage / serializeMessage (RFC 3261 §7, §20.14) and the bodies parseMessage produces.
 */
import { describe, expect, it } from 'vitest';
import {
  SipError,
  copyMessage,
  parse,
  parseMessage,
  parseUri,
  serializeMessage,
  stringifyMessage,
  type Headers,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type Uri,
  type Via,
} from './index.js';
import { utf8Length } from './text.js';
import { bytesOf } from '../test/helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes as a "binary" string, one character per byte (what `stringify` returns). */
function binary(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => String.fromCharCode(b)).join('');
}


/** The example message of the classic API documentation (docs/CLASSIC-API.md, "Messages"). */
const CLASSIC_EXAMPLE =
  'INVITE sip:service@172.16.2.2:5060 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-1075-1-0\r\n' +
  'From: sipp <sip:sipp@127.0.1.1:5060>;tag=1075SIPpTag001\r\n' +
  'To: sut <sip:service@172.16.2.2:5060>\r\n' +
  'Call-ID: 1-1075@127.0.1.1\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Contact: sip:sipp@127.0.1.1:5060\r\n' +
  'Max-Forwards: 70\r\n' +
  'Subject: Performance Test\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length:   127\r\n' +
  '\r\n' +
  'v=0\r\n' +
  'o=user1 53655765 2353687637 IN IP4 127.0.1.1\r\n' +
  's=-\r\n' +
  'c=IN IP4 127.0.1.1\r\n' +
  't=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0\r\n' +
  'a=rtpmap:0 PCMU/8000';

/** The object the classic documentation shows for CLASSIC_EXAMPLE. */
const CLASSIC_OBJECT = {
  method: 'INVITE',
  uri: 'sip:service@172.16.2.2:5060',
  version: '2.0',
  headers: {
    via: [{ version: '2.0', protocol: 'UDP', host: '127.0.1.1', port: 5060, params: { branch: 'z9hG4bK-1075-1-0' } }],
    from: { name: 'sipp', uri: 'sip:sipp@127.0.1.1:5060', params: { tag: '1075SIPpTag001' } },
    to: { name: 'sut', uri: 'sip:service@172.16.2.2:5060', params: {} },
    'call-id': '1-1075@127.0.1.1',
    cseq: { seq: 1, method: 'INVITE' },
    contact: [{ name: undefined, uri: 'sip:sipp@127.0.1.1:5060', params: {} }],
    'max-forwards': '70',
    subject: 'Performance Test',
    'content-type': 'application/sdp',
    'content-length': 127,
  },
  content:
    'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.1.1\r\ns=-\r\nc=IN IP4 127.0.1.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000',
};

describe('the classic documentation example', () => {
  it('has a 127-byte body, as its Content-Length says', () => {
    expect(CLASSIC_OBJECT.content.length).toBe(127);
  });

  it('parses to exactly the documented object', () => {
    expect(parseMessage(CLASSIC_EXAMPLE)).toStrictEqual(CLASSIC_OBJECT);
    expect(parse(CLASSIC_EXAMPLE)).toStrictEqual(CLASSIC_OBJECT);
    expect(parseMessage(enc.encode(CLASSIC_EXAMPLE))).toStrictEqual(CLASSIC_OBJECT);
  });

  it('parses to the same object field by field', () => {
    const m = parseMessage(CLASSIC_EXAMPLE);
    const h = m.headers;
    expect(Object.keys(m)).toEqual(['method', 'uri', 'version', 'headers', 'content']);
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:service@172.16.2.2:5060');
    expect(m.version).toBe('2.0');
    expect(Object.keys(h)).toEqual(Object.keys(CLASSIC_OBJECT.headers));
    expect(h.via).toStrictEqual(CLASSIC_OBJECT.headers.via);
    expect(h.from).toStrictEqual(CLASSIC_OBJECT.headers.from);
    expect(h.to).toStrictEqual(CLASSIC_OBJECT.headers.to);
    expect(h['call-id']).toBe('1-1075@127.0.1.1');
    expect(h.cseq).toStrictEqual({ seq: 1, method: 'INVITE' });
    expect(h.contact).toStrictEqual(CLASSIC_OBJECT.headers.contact);
    expect(h.contact?.[0] === undefined ? false : Object.hasOwn(h.contact[0], 'name')).toBe(true);
    expect(h['max-forwards']).toBe('70');
    expect(h.subject).toBe('Performance Test');
    expect(h['content-type']).toBe('application/sdp');
    expect(h['content-length']).toBe(127);
    expect(m.content).toBe(CLASSIC_OBJECT.content);
  });

  it('serializes a parsed copy to the canonical text', () => {
    const expected = CLASSIC_EXAMPLE.replace('Contact: sip:sipp@127.0.1.1:5060', 'Contact: <sip:sipp@127.0.1.1:5060>').replace(
      'Content-Length:   127',
      'Content-Length: 127',
    );
    expect(stringifyMessage(copyMessage(parseMessage(CLASSIC_EXAMPLE)))).toBe(expected);
    expect(serializeMessage(copyMessage(parseMessage(CLASSIC_EXAMPLE)))).toEqual(enc.encode(expected));
  });

  it('serializes the parsed message itself back to the bytes that arrived', () => {
    expect(stringifyMessage(parseMessage(CLASSIC_EXAMPLE))).toBe(CLASSIC_EXAMPLE);
    expect(serializeMessage(parseMessage(enc.encode(CLASSIC_EXAMPLE)))).toEqual(enc.encode(CLASSIC_EXAMPLE));
  });

  it('stringifies the documented object, parsed back to the same object', () => {
    expect(parseMessage(stringifyMessage(CLASSIC_OBJECT as SipRequest))).toStrictEqual(CLASSIC_OBJECT);
  });
});

/** Messages in canonical form: serializing their parse gives the same bytes back. */
const CANONICAL: [string, string][] = [
  [
    'REGISTER with contacts, expires 0 and a Route',
    'REGISTER sip:registrar.biloxi.com SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7;rport\r\n' +
      'Max-Forwards: 70\r\n' +
      'To: Bob <sip:bob@biloxi.com>\r\n' +
      'From: Bob <sip:bob@biloxi.com>;tag=456248\r\n' +
      'Call-ID: 843817637684230@998sdasdh09\r\n' +
      'CSeq: 1826 REGISTER\r\n' +
      'Contact: <sip:bob@192.0.2.4>;expires=0\r\n' +
      'Contact: "Bob \\"B\\"" <sip:bob@[2001:db8::4]:5070;transport=tcp>;q=0.5\r\n' +
      'Route: <sip:p1.example.com;lr>\r\n' +
      'Route: <sip:p2.example.com:5070;transport=tcp;lr>\r\n' +
      'Expires: 7200\r\n' +
      'Content-Length: 0\r\n' +
      '\r\n',
  ],
  [
    '401 with two challenges',
    'SIP/2.0 401 Unauthorized\r\n' +
      'Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1;received=[2001:db8::2]\r\n' +
      'Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2\r\n' +
      'From: <sip:a@example.com>;tag=1\r\n' +
      'To: <sip:a@example.com>;tag=2\r\n' +
      'Call-ID: abc\r\n' +
      'CSeq: 2 REGISTER\r\n' +
      'WWW-Authenticate: Digest realm="example.com", nonce="abc", qop="auth", algorithm=MD5\r\n' +
      'WWW-Authenticate: Digest realm="example.com", nonce="def", algorithm=SHA-256\r\n' +
      'Authentication-Info: nextnonce="x", qop=auth\r\n' +
      'Content-Length: 0\r\n' +
      '\r\n',
  ],
  [
    'REGISTER removing all bindings (Contact: *)',
    'REGISTER sip:example.com SIP/2.0\r\n' +
      'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx\r\n' +
      'From: <sip:a@example.com>;tag=1\r\n' +
      'To: <sip:a@example.com>\r\n' +
      'Call-ID: c\r\n' +
      'CSeq: 3 REGISTER\r\n' +
      'Contact: *\r\n' +
      'Expires: 0\r\n' +
      'Content-Length: 0\r\n' +
      '\r\n',
  ],
  [
    'MESSAGE with a UTF-8 body and display name',
    'MESSAGE sip:bob@biloxi.com SIP/2.0\r\n' +
      'From: "Jürgen" <sip:j@example.com>;tag=1\r\n' +
      'To: <sip:bob@biloxi.com>\r\n' +
      'Call-ID: m\r\n' +
      'CSeq: 1 MESSAGE\r\n' +
      'Content-Type: text/plain;charset=utf-8\r\n' +
      'Content-Length: 13\r\n' +
      '\r\n' +
      'Grüße ü€',
  ],
];

describe('round trips', () => {
  it.each(CANONICAL)('%s: serialize(parse(x)) is x, byte for byte', (_name, text) => {
    const bytes = enc.encode(text);
    expect(serializeMessage(parseMessage(bytes))).toEqual(bytes);
    expect(stringifyMessage(parseMessage(bytes))).toBe(binary(bytes));
    expect(parseMessage(stringifyMessage(parseMessage(bytes)))).toEqual(parseMessage(bytes));
  });

  it.each(CANONICAL)('%s: parse(serialize(m)) equals m', (_name, text) => {
    const m = parseMessage(enc.encode(text));
    expect(parseMessage(serializeMessage(m))).toStrictEqual(m);
  });

  it('round-trips a binary body byte for byte', () => {
    const body = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    const m: SipRequest = {
      method: 'MESSAGE',
      uri: 'sip:bob@biloxi.com',
      headers: { 'call-id': 'b', cseq: { seq: 1, method: 'MESSAGE' }, 'content-type': 'application/octet-stream' },
      content: body,
    };
    const wire = serializeMessage(m);
    expect(dec.decode(wire.subarray(0, wire.length - 256))).toContain('Content-Length: 256\r\n\r\n');
    expect(wire.subarray(wire.length - 256)).toEqual(body);
    const again = parseMessage(wire);
    expect(again.content).toBeInstanceOf(Uint8Array);
    expect(again.content).toEqual(body);
    expect(again.headers['content-length']).toBe(256);
  });

  it('parses and re-serializes folded and compact headers: untouched text lines as they came', () => {
    const m = parseMessage('OPTIONS sip:b@x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1,\r\n SIP/2.0/UDP g\r\ni: abc\r\nl: 0\r\nsubject: a\r\n b\r\n\r\n');
    expect(stringifyMessage(m)).toBe(
      'OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP g\r\ni: abc\r\nl: 0\r\nSubject: a b\r\n\r\n',
    );
  });

  it('a copy of a parsed message re-serializes folded and compact headers into canonical form', () => {
    const m = copyMessage(parseMessage('OPTIONS sip:b@x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1,\r\n SIP/2.0/UDP g\r\ni: abc\r\nl: 0\r\nsubject: a\r\n b\r\n\r\n'));
    expect(stringifyMessage(m)).toBe(
      'OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP g\r\nCall-ID: abc\r\nContent-Length: 0\r\nSubject: a b\r\n\r\n',
    );
  });
});

function request(headers: Headers, content?: SipRequest['content']): SipRequest {
  const m: SipRequest = { method: 'MESSAGE', uri: 'sip:bob@biloxi.com', version: '2.0', headers };
  if (content !== undefined) m.content = content;
  return m;
}

describe('Content-Length is the body length in bytes', () => {
  it.each<[string, string | Uint8Array, number]>([
    ['no body', '', 0],
    ['ASCII', 'hello', 5],
    ['ü€ (2 + 3 bytes)', 'ü€', 5],
    ['an astral character (4 bytes)', '😀', 4],
    ['CJK', '日本語', 9],
    ['latin-1 range text', 'é', 2],
    ['bytes that are not UTF-8', Uint8Array.from([0xff, 0x00, 0xc3, 0x28, 0x80]), 5],
    ['empty bytes', new Uint8Array(0), 0],
  ])('%s', (_name, content, length) => {
    const m = request({ 'content-type': 'text/plain' }, content);
    const text = stringifyMessage(m);
    expect(text).toContain(`\r\nContent-Length: ${String(length)}\r\n`);
    const wire = serializeMessage(m);
    expect(dec.decode(wire)).toContain(`\r\nContent-Length: ${String(length)}\r\n`);
    const headEnd = wire.findIndex((_b, i) => wire[i] === 13 && wire[i + 1] === 10 && wire[i + 2] === 13 && wire[i + 3] === 10);
    expect(wire.length - (headEnd + 4)).toBe(length);
    const body = typeof content === 'string' ? enc.encode(content) : content;
    expect(wire.subarray(headEnd + 4)).toEqual(body);
    if (typeof content === 'string') expect(utf8Length(content)).toBe(length);
  });

  it('writes Content-Length: 0 for a message without content', () => {
    const m: SipRequest = { method: 'OPTIONS', uri: 'sip:bob@biloxi.com', headers: {} };
    expect(stringifyMessage(m)).toBe('OPTIONS sip:bob@biloxi.com SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  });

  it('replaces a stale Content-Length value in place and keeps its position', () => {
    const m = request({ 'content-length': 999, 'content-type': 'text/plain' }, 'ü€');
    expect(stringifyMessage(m)).toBe(binary(enc.encode('MESSAGE sip:bob@biloxi.com SIP/2.0\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nü€')));
  });

  it('stringify appends a byte body one character per byte', () => {
    const m = request({}, Uint8Array.from([0xff, 0x00, 0x41]));
    expect(stringifyMessage(m)).toBe('MESSAGE sip:bob@biloxi.com SIP/2.0\r\nContent-Length: 3\r\n\r\n\u00ff\u0000A');
  });
});

describe('serializing does not modify the message', () => {
  it.each(CANONICAL)('%s', (_name, text) => {
    const m = parseMessage(enc.encode(text));
    const before = structuredClone(m);
    stringifyMessage(m);
    serializeMessage(m);
    expect(m).toStrictEqual(before);
  });

  it('leaves a wrong content-length and a missing one as they were', () => {
    const wrong = request({ 'content-length': 999 }, 'ü€');
    stringifyMessage(wrong);
    serializeMessage(wrong);
    expect(wrong.headers['content-length']).toBe(999);
    const missing = request({}, 'abc');
    stringifyMessage(missing);
    serializeMessage(missing);
    expect(Object.hasOwn(missing.headers, 'content-length')).toBe(false);
  });
});

describe('header names and values on the wire', () => {
  it.each([
    ['call-id', 'x', 'Call-ID: x'],
    ['cseq', { seq: 1, method: 'MESSAGE' }, 'CSeq: 1 MESSAGE'],
    ['cseq', '1 MESSAGE', 'CSeq: 1 MESSAGE'],
    ['max-forwards', '70', 'Max-Forwards: 70'],
    ['max-forwards', 70, 'Max-Forwards: 70'],
    ['www-authenticate', [{ scheme: 'Digest', realm: '"x"', nonce: '"y"' }], 'WWW-Authenticate: Digest realm="x", nonce="y"'],
    ['www-authenticate', 'Digest realm="x"', 'WWW-Authenticate: Digest realm="x"'],
    ['proxy-authorization', [{ scheme: 'Digest', username: '"u"' }], 'Proxy-Authorization: Digest username="u"'],
    ['authentication-info', { nextnonce: '"n"' }, 'Authentication-Info: nextnonce="n"'],
    ['record-route', [{ uri: 'sip:p1.example.com;lr', params: {} }], 'Record-Route: <sip:p1.example.com;lr>'],
    ['content-type', 'application/sdp', 'Content-Type: application/sdp'],
    ['x-custom-header', 'v', 'X-Custom-Header: v'],
    ['expires', 3600, 'Expires: 3600'],
    ['user-agent', 'sipts', 'User-Agent: sipts'],
    ['mime-version', '1.0', 'MIME-Version: 1.0'],
    ['rseq', '1', 'RSeq: 1'],
    ['rack', '1 1 INVITE', 'RAck: 1 1 INVITE'],
  ])('%s: %j is written as %s', (key, value, line) => {
    const text = stringifyMessage(request({ [key]: value }));
    expect(text.split('\r\n')[1]).toBe(line);
  });

  it('writes each array element as its own header line and skips undefined and null values', () => {
    const text = stringifyMessage(
      request({ allow: ['INVITE', 'ACK'], 'x-gone': undefined, 'x-null': null, 'x-list': ['a', undefined, 'b'] } as unknown as Headers),
    );
    expect(text).toBe('MESSAGE sip:bob@biloxi.com SIP/2.0\r\nAllow: INVITE\r\nAllow: ACK\r\nX-List: a\r\nX-List: b\r\nContent-Length: 0\r\n\r\n');
  });

  it('keeps the insertion order of the headers', () => {
    const text = stringifyMessage(request({ 'x-c': '3', 'x-a': '1', 'x-b': '2' }));
    expect(text.split('\r\n').slice(1, 4)).toEqual(['X-C: 3', 'X-A: 1', 'X-B: 2']);
  });

  it.each<[string, Headers, string]>([
    ['To without a display name has no leading space', { to: { uri: 'sip:b@x', params: {} } }, 'To: <sip:b@x>'],
    ['Contact * stays bare', { contact: [{ name: undefined, uri: '*', params: {} }] }, 'Contact: *'],
    ['a param whose value is the number 0 keeps its value', { contact: [{ uri: 'sip:b@x', params: { expires: 0 } }] }, 'Contact: <sip:b@x>;expires=0'],
    ['a valueless param is a flag', { contact: [{ uri: 'sip:b@x', params: { lr: null, q: '0.5' } }] }, 'Contact: <sip:b@x>;lr;q=0.5'],
    ['Via param 0', { via: [{ version: '2.0', protocol: 'UDP', host: 'h', port: 5060, params: { rport: 0, branch: 'z9hG4bK1' } }] }, 'Via: SIP/2.0/UDP h:5060;rport=0;branch=z9hG4bK1'],
    ['Via without a port', { via: [{ version: '2.0', protocol: 'TCP', host: 'h', port: undefined, params: {} }] }, 'Via: SIP/2.0/TCP h'],
    [
      'IPv6 Via host keeps its brackets',
      { via: [{ version: '2.0', protocol: 'UDP', host: '[2001:db8::1]', port: 5070, params: { branch: 'z9hG4bK1' } }] },
      'Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1',
    ],
    [
      'Route with a URI object',
      { route: [{ uri: parseUri('sip:p1.example.com:5070;lr') as Uri, params: {} }] },
      'Route: <sip:p1.example.com:5070;lr>',
    ],
    ['Refer-To', { 'refer-to': { name: '"C"', uri: 'sip:c@x', params: {} } }, 'Refer-To: "C" <sip:c@x>'],
  ])('%s', (_name, headers, line) => {
    expect(stringifyMessage(request(headers)).split('\r\n')[1]).toBe(line);
  });

  it('parses an IPv6 Via and writes it back with its brackets', () => {
    const m = parseMessage('OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1;received=[2001:db8::2]\r\n\r\n');
    expect(m.headers.via?.[0]?.host).toBe('[2001:db8::1]');
    expect(stringifyMessage(m).split('\r\n')[1]).toBe('Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1;received=[2001:db8::2]');
  });

  it('brackets an IPv6 Via host set without brackets (RFC 3261 §25.1 sent-by, RFC 5118 §4.5)', () => {
    // The classic library wrote `Via: SIP/2.0/UDP ::1:25070;rport` (packages/sip/README.md, `stringify-canonical`).
    const m = request({ via: [{ version: '2.0', protocol: 'UDP', host: '::1', port: 25070, params: { rport: null } }] });
    expect(stringifyMessage(m).split('\r\n')[1]).toBe('Via: SIP/2.0/UDP [::1]:25070;rport');
  });
});

describe('Via objects built by hand', () => {
  it('writes no port for a Via whose port is NaN, as stringifyUri does (RFC 3261 §25.1: port = 1*DIGIT)', () => {
    // Classic code copies `parseUri(...).port` (NaN when absent) into Via objects.
    const m = request({ via: [{ version: '2.0', protocol: 'UDP', host: 'h.example.com', port: Number.NaN, params: {} }] });
    expect(stringifyMessage(m).split('\r\n')[1]).toBe('Via: SIP/2.0/UDP h.example.com');
  });

  it('does not crash with a TypeError on a Via without protocol (packages/sip/README.md, `stringify-canonical`)', () => {
    const m = request({ via: [{ host: 'h.example.com', params: {} } as unknown as Via] });
    let error: unknown;
    try {
      stringifyMessage(m);
    } catch (e) {
      error = e;
    }
    // Either a Via line is written or a typed SipError explains what is missing.
    expect(error === undefined || error instanceof SipError, String(error)).toBe(true);
  });
});

describe('start lines', () => {
  it.each<[number, string]>([
    [100, 'Trying'],
    [180, 'Ringing'],
    [200, 'OK'],
    [302, 'Moved Temporarily'],
    [404, 'Not Found'],
    [486, 'Busy Here'],
    [487, 'Request Terminated'],
    [503, 'Service Unavailable'],
    [603, 'Decline'],
  ])('a response %i without a reason gets "%s", never "undefined"', (status, phrase) => {
    const m: SipResponse = { status, headers: {} };
    const line = stringifyMessage(m).split('\r\n')[0];
    expect(line).toBe(`SIP/2.0 ${String(status)} ${phrase}`);
    expect(line).not.toContain('undefined');
  });

  it('keeps a given reason, even an empty one', () => {
    expect(stringifyMessage({ status: 200, reason: 'Fine', headers: {} }).split('\r\n')[0]).toBe('SIP/2.0 200 Fine');
    expect(stringifyMessage({ status: 200, reason: '', headers: {} }).split('\r\n')[0]).toBe('SIP/2.0 200 ');
  });

  it('writes a URI object as the Request-URI and defaults the version', () => {
    const m: SipRequest = { method: 'INVITE', uri: parseUri('sip:bob@[2001:db8::1]:5070;transport=tcp') as Uri, headers: {} };
    expect(stringifyMessage(m).split('\r\n')[0]).toBe('INVITE sip:bob@[2001:db8::1]:5070;transport=tcp SIP/2.0');
  });

  it('returns a binary string from stringifyMessage (one char per byte) and bytes from serializeMessage', () => {
    const m: SipMessage = { status: 200, headers: {}, content: 'ü' };
    expect(typeof stringifyMessage(m)).toBe('string');
    expect(serializeMessage(m)).toBeInstanceOf(Uint8Array);
    expect(stringifyMessage(m)).toBe(binary(serializeMessage(m)));
    expect(dec.decode(serializeMessage(m))).toBe('SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nü');
    expect(parseMessage(stringifyMessage(m)).content).toBe('ü');
  });
});

describe('bodies as parseMessage reads them', () => {
  const head = 'MESSAGE sip:bob@biloxi.com SIP/2.0\r\nCSeq: 1 MESSAGE\r\n';

  it('gives a UTF-8 body as a string', () => {
    const m = parseMessage(bytesOf(head, 'Content-Length: 5\r\n\r\n', 'ü€'));
    expect(m.content).toBe('ü€');
  });

  it('gives a body that is not UTF-8 as the exact bytes', () => {
    const body = [0xff, 0xfe, 0x00, 0x80, 0xc3];
    const m = parseMessage(bytesOf(head, 'Content-Length: 5\r\n\r\n', body));
    expect(m.content).toBeInstanceOf(Uint8Array);
    expect(m.content).toEqual(Uint8Array.from(body));
  });

  it('reads a string of characters up to U+00FF as bytes (a "binary" string)', () => {
    // 'ü' is the single byte 0xFC here, which is not UTF-8: the body stays bytes.
    const m = parseMessage(head + 'Content-Length: 1\r\n\r\n\u00fc');
    expect(m.content).toEqual(Uint8Array.from([0xfc]));
    // The UTF-8 bytes of 'ü€' written one character per byte decode to the text.
    const binary = String.fromCharCode(...enc.encode('ü€'));
    expect(parseMessage(head + 'Content-Length: 5\r\n\r\n' + binary).content).toBe('ü€');
  });

  it('encodes any other string as UTF-8', () => {
    const m = parseMessage(head + 'Content-Length: 5\r\n\r\nü€');
    expect(m.content).toBe('ü€');
    expect(m.headers['content-length']).toBe(5);
  });

  it('cuts the body to Content-Length in a datagram', () => {
    const m = parseMessage(head + 'Content-Length: 3\r\n\r\nabcdef');
    expect(m.content).toBe('abc');
  });

  it('takes the rest of a datagram as the body when Content-Length is absent', () => {
    expect(parseMessage(head + '\r\nabc\r\n\r\ndef').content).toBe('abc\r\n\r\ndef');
  });

  it('gives an empty string for no body, even when bytes follow Content-Length: 0', () => {
    expect(parseMessage(head + 'Content-Length: 0\r\n\r\n').content).toBe('');
    expect(parseMessage(head + 'Content-Length: 0\r\n\r\ngarbage').content).toBe('');
  });

  it('rejects a Content-Length larger than the body (RFC 3261 §18.3)', () => {
    expect(() => parseMessage(head + 'Content-Length: 10\r\n\r\nabc')).toThrow(expect.objectContaining({ code: 'content-length-exceeds-body' }));
  });

  it('requires Content-Length with stream framing', () => {
    expect(() => parseMessage(head + '\r\n', { framing: 'stream' })).toThrow(expect.objectContaining({ code: 'missing-content-length' }));
    expect(parseMessage(head + 'Content-Length: 0\r\n\r\n', { framing: 'stream' }).content).toBe('');
  });

  it('skips CRLFs before the start line (RFC 3261 §7.5)', () => {
    expect(parseMessage('\r\n\r\n' + head + 'Content-Length: 0\r\n\r\n').method).toBe('MESSAGE');
  });

  it('does not share the body bytes with the input', () => {
    const input = bytesOf(head, 'Content-Length: 2\r\n\r\n', [0xff, 0xfe]);
    const m = parseMessage(input);
    input.fill(0);
    expect(m.content).toEqual(Uint8Array.from([0xff, 0xfe]));
  });
});
