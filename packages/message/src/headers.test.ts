/**
 * Header parsing (RFC 3261 §7.3, §20, §25.1): Via, name-addr values, Contact, Route, CSeq,
 * authentication headers, compact forms, repeated and duplicate headers, folding, parameters.
 */
import { describe, expect, it } from 'vitest';
import {
  COMPACT_FORMS,
  MAX_CSEQ,
  SipParseError,
  canonicalHeaderName,
  expandCompactForm,
  headerKey,
  parseAuthHeader,
  parseAuthInfo,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseNameAddrList,
  parseVia,
  stringifyAuthHeader,
  stringifyNameAddr,
  stringifyVia,
  type AuthHeader,
  type AuthInfo,
  type CSeq,
  type Headers,
  type NameAddr,
  type RouteEntry,
  type SipUri,
  type Via,
} from './index.js';
import { thrownParseError as thrown } from '../test/helpers.js';

const START = 'OPTIONS sip:bob@biloxi.com SIP/2.0\r\n';

/** Headers of a minimal request carrying `lines`. */
function headersOf(...lines: string[]): Headers {
  return parseMessage(START + lines.map((l) => l + '\r\n').join('') + '\r\n').headers;
}

/** The SipParseError that parsing a request with `lines` throws. */
function errorOf(...lines: string[]): SipParseError {
  try {
    parseMessage(START + lines.map((l) => l + '\r\n').join('') + '\r\n', { strict: true });
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}


function via(host: string, port: number | undefined, params: Via['params'] = {}, protocol = 'UDP'): Via {
  return { version: '2.0', protocol, host, port, params };
}

function sipUri(parts: Partial<SipUri> & { host: string }): SipUri {
  return { schema: 'sip', user: undefined, password: undefined, port: undefined, params: {}, headers: {}, ...parts };
}

describe('Via (RFC 3261 §20.42, RFC 5118)', () => {
  it.each<[string, Via[]]>([
    ['SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds', [via('pc33.atlanta.com', undefined, { branch: 'z9hG4bK776asdhds' })]],
    [
      'SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bK1;received=192.0.2.101;rport=5071',
      [via('192.0.2.1', 5070, { branch: 'z9hG4bK1', received: '192.0.2.101', rport: '5071' }, 'TCP')],
    ],
    ['SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx', [via('10.0.0.1', undefined, { rport: null, branch: 'z9hG4bKx' })]],
    [
      'SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas;received=[2001:db8::9:255]',
      [via('[2001:db8::9:1]', 5070, { branch: 'z9hG4bKas', received: '[2001:db8::9:255]' })],
    ],
    ['SIP/2.0/UDP [::1];branch=z9hG4bK1', [via('[::1]', undefined, { branch: 'z9hG4bK1' })]],
    ['SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx', [via('df7jal23ls0d.invalid', undefined, { branch: 'z9hG4bKx' }, 'WSS')]],
    ['SIP/2.0/SCTP h.example.com:5060;comp=sigcomp', [via('h.example.com', 5060, { comp: 'sigcomp' }, 'SCTP')]],
    // RFC 4475 §3.1.1.1 (wsinv): LWS around every separator.
    [
      'SIP / 2.0 / UDP first.example.com: 4000;ttl=16 ;maddr=224.2.0.1 ; branch = z9hG4bKa7c6a8dlze.1',
      [via('first.example.com', 4000, { ttl: '16', maddr: '224.2.0.1', branch: 'z9hG4bKa7c6a8dlze.1' })],
    ],
    [
      'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2',
      [via('a.example.com', undefined, { branch: 'z9hG4bK1' }), via('b.example.com', 5061, { branch: 'z9hG4bK2' }, 'TCP')],
    ],
    ['SIP/2.0/UDP a.example.com ,SIP/2.0/UDP b.example.com', [via('a.example.com', undefined), via('b.example.com', undefined)]],
    // Parameter names are lower-cased, values kept as written; quoted values keep their quotes.
    ['SIP/2.0/UDP h;Branch=z9hG4bKAbC;X-Note="a;b, c"', [via('h', undefined, { branch: 'z9hG4bKAbC', 'x-note': '"a;b, c"' })]],
    ['SIP/2.0/udp h', [via('h', undefined, {}, 'udp')]],
  ])('%s', (value, expected) => {
    expect(headersOf('Via: ' + value).via).toStrictEqual(expected);
    expect(parseVia(value)).toStrictEqual(expected);
  });

  it('always has the port key, even when there is no port', () => {
    const [v] = parseVia('SIP/2.0/UDP pc33.atlanta.com');
    expect(v === undefined ? false : Object.hasOwn(v, 'port')).toBe(true);
  });

  it('appends Via headers in order, across lines and compact forms', () => {
    const h = headersOf('Via: SIP/2.0/UDP a;branch=z9hG4bK1', 'v: SIP/2.0/UDP b;branch=z9hG4bK2, SIP/2.0/UDP c', 'VIA: SIP/2.0/TCP d');
    expect(h.via?.map((v) => v.host)).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each([
    ['SIP/2.0/UDP'],
    ['SIP/2.0/UDP '],
    ['SIP/2.0 pc33.atlanta.com'],
    ['HTTP/1.1/TCP pc33.atlanta.com'],
    ['SIP/2.0/UDPpc33.atlanta.com'],
    ['SIP/2.0/UDP pc33.atlanta.com:99999'],
    ['SIP/2.0/UDP pc33.atlanta.com:'],
    ['SIP/2.0/UDP [2001:db8::1'],
    ['SIP/2.0/UDP []:5060'],
    ['SIP/2.0/UDP pc33.atlanta.com;'],
    ['SIP/2.0/UDP pc33.atlanta.com;branch='],
    ['SIP/2.0/UDP pc33.atlanta.com branch'],
    ['SIP/2.0/UDP pc33.atlanta.com,'],
    ['SIP/2.0/UDP pc33.atlanta.com;branch="unterminated'],
  ])('rejects %j', (value) => {
    const e = errorOf('Via: ' + value);
    expect(['invalid-via', 'unterminated-quote']).toContain(e.code);
    expect(e.status).toBe(400);
    expect(() => parseVia(value)).toThrow(SipParseError);
  });

  it.each<[Via, string]>([
    [via('pc33.atlanta.com', undefined, { branch: 'z9hG4bK776' }), 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776'],
    [via('192.0.2.1', 5070, { rport: null, branch: 'z9hG4bK1' }, 'TCP'), 'SIP/2.0/TCP 192.0.2.1:5070;rport;branch=z9hG4bK1'],
    [via('[2001:db8::1]', 5060, { received: '[2001:db8::2]' }), 'SIP/2.0/UDP [2001:db8::1]:5060;received=[2001:db8::2]'],
    [via('h', 0, { rport: 0 }), 'SIP/2.0/UDP h:0;rport=0'],
  ])('stringifyVia(%j) is %s', (v, expected) => {
    expect(stringifyVia(v)).toBe(expected);
    expect(parseVia(expected)).toStrictEqual([{ ...v, params: Object.fromEntries(Object.entries(v.params).map(([k, p]) => [k, p === null ? null : String(p)])) }]);
  });
});

describe('name-addr and addr-spec: From, To, Refer-To (RFC 3261 §20.10, §20.20, §20.39)', () => {
  const na = (name: string | undefined, uri: string, params: NameAddr['params'] = {}): NameAddr => ({ name, uri, params });

  it.each<[string, NameAddr]>([
    ['"Bob" <sip:bob@biloxi.com>;tag=a6c85cf', na('"Bob"', 'sip:bob@biloxi.com', { tag: 'a6c85cf' })],
    ['"Bob"<sip:bob@biloxi.com>', na('"Bob"', 'sip:bob@biloxi.com')],
    ['Bob <sip:bob@biloxi.com>', na('Bob', 'sip:bob@biloxi.com')],
    // A token display name needs no space before '<' (RFC 3261 §25.1: display-name = *(token LWS) / quoted-string).
    ['Bob<sip:bob@biloxi.com>;tag=1', na('Bob', 'sip:bob@biloxi.com', { tag: '1' })],
    ['Bob Smith <sip:bob@biloxi.com>', na('Bob Smith', 'sip:bob@biloxi.com')],
    ['Bob\t<sip:bob@biloxi.com>', na('Bob', 'sip:bob@biloxi.com')],
    ['A.B-C_D!~*+`\'% <sip:x@y>', na('A.B-C_D!~*+`\'%', 'sip:x@y')],
    // Quoted display names are kept as written: quotes and backslash escapes included.
    ['"Bob \\"the builder\\" Smith" <sip:bob@biloxi.com>', na('"Bob \\"the builder\\" Smith"', 'sip:bob@biloxi.com')],
    ['"\\\\" <sip:bob@biloxi.com>', na('"\\\\"', 'sip:bob@biloxi.com')],
    ['"" <sip:anonymous@anonymous.invalid>', na('""', 'sip:anonymous@anonymous.invalid')],
    ['"Doe, John; Jr." <sip:john@example.com>;tag=1', na('"Doe, John; Jr."', 'sip:john@example.com', { tag: '1' })],
    ['"a <b> c" <sip:x@y>', na('"a <b> c"', 'sip:x@y')],
    ['"Françoise Ñ" <sip:f@example.com>', na('"Françoise Ñ"', 'sip:f@example.com')],
    ['<sip:bob@biloxi.com>', na(undefined, 'sip:bob@biloxi.com')],
    ['sip:bob@biloxi.com', na(undefined, 'sip:bob@biloxi.com')],
    // In an addr-spec, parameters after the URI are header parameters (RFC 3261 §20.10).
    ['sip:bob@biloxi.com;tag=1928301774', na(undefined, 'sip:bob@biloxi.com', { tag: '1928301774' })],
    ['<sip:bob@biloxi.com;transport=tcp>;tag=1', na(undefined, 'sip:bob@biloxi.com;transport=tcp', { tag: '1' })],
    ['<sip:bob@biloxi.com?subject=hi>', na(undefined, 'sip:bob@biloxi.com?subject=hi')],
    ['<sip:alice@[2001:db8::1]:5070>;tag=x', na(undefined, 'sip:alice@[2001:db8::1]:5070', { tag: 'x' })],
    ['<tel:+12125551212>;tag=x', na(undefined, 'tel:+12125551212', { tag: 'x' })],
    ['<urn:service:sos>', na(undefined, 'urn:service:sos')],
    // Parameter names are lower-cased, values kept, valueless parameters are null, LWS allowed around ; and =.
    ['<sip:a@b>;Tag=AbC;LR', na(undefined, 'sip:a@b', { tag: 'AbC', lr: null })],
    ['<sip:a@b> ; tag = 1 ;x', na(undefined, 'sip:a@b', { tag: '1', x: null })],
    ['  "Bob"  <sip:b@x>  ', na('"Bob"', 'sip:b@x')],
  ])('%s', (value, expected) => {
    const h = headersOf('From: ' + value, 'To: ' + value, 'Refer-To: ' + value);
    expect(h.from).toStrictEqual(expected);
    expect(h.to).toStrictEqual(expected);
    expect(h['refer-to']).toStrictEqual(expected);
    expect(parseNameAddr(value.trim())).toStrictEqual(expected);
  });

  it('reads a UTF-8 display name from bytes', () => {
    const bytes = new TextEncoder().encode(START + 'From: "Jürgen 日本" <sip:j@example.com>;tag=1\r\n\r\n');
    expect(parseMessage(bytes).headers.from).toStrictEqual(na('"Jürgen 日本"', 'sip:j@example.com', { tag: '1' }));
  });

  it.each([
    ['"Bob <sip:bob@biloxi.com>', 'unterminated-quote'],
    ['<sip:bob@biloxi.com', 'invalid-name-addr'],
    ['Bob', 'invalid-name-addr'],
    ['Bob@Home <sip:bob@biloxi.com>', 'invalid-display-name'],
    ['Jöhn <sip:j@example.com>', 'invalid-display-name'],
    ['<sip:bob @biloxi.com>', 'invalid-name-addr'],
    ['<bob@biloxi.com>', 'invalid-name-addr'],
    ['"Bob" sip:bob@biloxi.com', 'invalid-name-addr'],
    ['sip:bob@biloxi.com?subject=hi', 'invalid-name-addr'],
    ['<sip:bob@biloxi.com>;tag=', 'invalid-name-addr'],
    ['<sip:bob@biloxi.com>;=1', 'invalid-name-addr'],
    ['<sip:bob@biloxi.com> junk', 'invalid-name-addr'],
    ['<sip:a@b>, <sip:c@d>', 'invalid-name-addr'],
  ])('rejects %j as %s', (value, code) => {
    expect(errorOf('To: ' + value).code).toBe(code);
    expect(thrown(() => parseNameAddr(value)).code).toBe(code);
  });

  it.each<[NameAddr, string]>([
    [na('"Bob"', 'sip:bob@biloxi.com', { tag: 'a6c85cf' }), '"Bob" <sip:bob@biloxi.com>;tag=a6c85cf'],
    [na('Bob', 'sip:bob@biloxi.com'), 'Bob <sip:bob@biloxi.com>'],
    [na(undefined, 'sip:bob@biloxi.com'), '<sip:bob@biloxi.com>'],
    [na('', 'sip:bob@biloxi.com'), '<sip:bob@biloxi.com>'],
    [na(undefined, 'sip:bob@biloxi.com', { expires: 0, lr: null, q: '0.5', skipped: undefined }), '<sip:bob@biloxi.com>;expires=0;lr;q=0.5'],
    [na(undefined, '*'), '*'],
  ])('stringifyNameAddr(%j) is %s', (value, expected) => {
    expect(stringifyNameAddr(value)).toBe(expected);
  });

  it('stringifyNameAddr writes a parsed Route URI object', () => {
    const entry: RouteEntry = { name: undefined, uri: sipUri({ host: 'p1.example.com', params: { lr: null } }), params: {} };
    expect(stringifyNameAddr(entry)).toBe('<sip:p1.example.com;lr>');
  });
});

describe('parameter names (RFC 3261 §7.3.1: case-insensitive, kept in lower case)', () => {
  it('lower-cases the common names in any case, and matches only whole names', () => {
    const [v] = parseVia('SIP/2.0/UDP 127.0.0.1;BRANCH=z9hG4bK1;RPort;Received=127.0.0.2;branchx=1;rpor=2;TTL=3;MAddr=127.0.0.3;q=0.5;Q=1');
    expect(v?.params).toStrictEqual({ branch: 'z9hG4bK1', rport: null, received: '127.0.0.2', branchx: '1', rpor: '2', ttl: '3', maddr: '127.0.0.3', q: '1' });
    const f = parseNameAddr('<sip:a@127.0.0.1>;TaG=x;tAg2=y;Transport=tcp;EXPIRES=60;x-Tag=z');
    expect(f.params).toStrictEqual({ tag: 'x', tag2: 'y', transport: 'tcp', expires: '60', 'x-tag': 'z' });
  });

  it('keeps names whose non-letter characters sit where a common name has letters', () => {
    const f = parseNameAddr('<sip:a@127.0.0.1>;t-g=1;l!=2;ta.=3;1r=4');
    expect(Object.keys(f.params)).toStrictEqual(['t-g', 'l!', 'ta.', '1r']);
  });
});

describe('Contact (RFC 3261 §20.10)', () => {
  it.each<[string, NameAddr[]]>([
    ['*', [{ name: undefined, uri: '*', params: {} }]],
    [
      '<sip:a@x.example.com>;q=0.7;expires=3600, "B" <sip:b@y.example.com>;q=0.1',
      [
        { name: undefined, uri: 'sip:a@x.example.com', params: { q: '0.7', expires: '3600' } },
        { name: '"B"', uri: 'sip:b@y.example.com', params: { q: '0.1' } },
      ],
    ],
    [
      'sip:a@x.example.com, sip:b@y.example.com;expires=0',
      [
        { name: undefined, uri: 'sip:a@x.example.com', params: {} },
        { name: undefined, uri: 'sip:b@y.example.com', params: { expires: '0' } },
      ],
    ],
    [
      '"Doe, John" <sip:j@x.example.com>,<sip:k@y.example.com>',
      [
        { name: '"Doe, John"', uri: 'sip:j@x.example.com', params: {} },
        { name: undefined, uri: 'sip:k@y.example.com', params: {} },
      ],
    ],
    [
      '<sip:a@x>;p="1,2", <sip:b@y>',
      [
        { name: undefined, uri: 'sip:a@x', params: { p: '"1,2"' } },
        { name: undefined, uri: 'sip:b@y', params: {} },
      ],
    ],
    [
      '<sip:a@192.0.2.4;transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1',
      [
        {
          name: undefined,
          uri: 'sip:a@192.0.2.4;transport=tcp',
          params: { '+sip.instance': '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"', 'reg-id': '1' },
        },
      ],
    ],
  ])('%s', (value, expected) => {
    expect(headersOf('Contact: ' + value).contact).toStrictEqual(expected);
    expect(parseNameAddrList(value)).toStrictEqual(expected);
  });

  it('appends Contact headers in order, across lines and the compact form m', () => {
    const h = headersOf('Contact: <sip:a@x>', 'm: <sip:b@y>, <sip:c@z>', 'CONTACT: sip:d@w');
    expect(h.contact?.map((c) => c.uri)).toEqual(['sip:a@x', 'sip:b@y', 'sip:c@z', 'sip:d@w']);
  });

  it.each([['<sip:a@x>,'], [',<sip:a@x>'], ['<sip:a@x> <sip:b@y>'], ['<sip:a@x>,,<sip:b@y>']])('rejects %j', (value) => {
    const e = errorOf('Contact: ' + value);
    // An empty list element is reported as a bad display name or a bad address; either is a 400.
    expect(['invalid-name-addr', 'invalid-display-name']).toContain(e.code);
    expect(e.status).toBe(400);
  });
});

describe('Route, Record-Route and Path hold parsed URI objects', () => {
  it.each([['route'], ['record-route'], ['path']] as const)('%s', (key) => {
    const name = canonicalHeaderName(key);
    const h = headersOf(`${name}: <sip:p1.example.com;lr>,"Proxy 2" <sip:p2.example.com:5070;transport=tcp;lr>;x=1`, `${name}: <sip:[2001:db8::1];lr>`);
    const expected: RouteEntry[] = [
      { name: undefined, uri: sipUri({ host: 'p1.example.com', params: { lr: null } }), params: {} },
      { name: '"Proxy 2"', uri: sipUri({ host: 'p2.example.com', port: 5070, params: { transport: 'tcp', lr: null } }), params: { x: '1' } },
      { name: undefined, uri: sipUri({ host: '[2001:db8::1]', params: { lr: null } }), params: {} },
    ];
    expect(h[key]).toStrictEqual(expected);
  });

  it('rejects a Route whose URI is not valid', () => {
    expect(errorOf('Route: <sip:@p1.example.com;lr>').code).toBe('invalid-uri');
  });
});

describe('CSeq (RFC 3261 §20.16)', () => {
  it.each<[string, CSeq]>([
    ['4711 INVITE', { seq: 4711, method: 'INVITE' }],
    ['1   OPTIONS', { seq: 1, method: 'OPTIONS' }],
    ['1\tOPTIONS', { seq: 1, method: 'OPTIONS' }],
    ['0 REGISTER', { seq: 0, method: 'REGISTER' }],
    [`${String(MAX_CSEQ)} ACK`, { seq: 4294967295, method: 'ACK' }],
    ['007 NEWMETHOD', { seq: 7, method: 'NEWMETHOD' }],
  ])('%s', (value, expected) => {
    expect(parseCSeq(value)).toStrictEqual(expected);
    const m = parseMessage(`${expected.method} sip:bob@biloxi.com SIP/2.0\r\nCSeq: ${value}\r\n\r\n`);
    expect(m.headers.cseq).toStrictEqual(expected);
  });

  it.each([['4294967296 INVITE'], ['INVITE'], ['1'], ['1 '], ['1INVITE'], ['abc INVITE'], ['-1 INVITE'], ['1 INVITE extra'], ['1 INV@TE'], ['']])(
    'rejects %j',
    (value) => {
      expect(thrown(() => parseCSeq(value)).code).toBe('invalid-cseq');
      expect(errorOf('CSeq: ' + value).code).toBe('invalid-cseq');
    },
  );

  it('rejects a request whose CSeq method differs from its method (case-sensitive)', () => {
    expect(errorOf('CSeq: 1 INVITE').code).toBe('cseq-method-mismatch');
    expect(errorOf('CSeq: 1 options').code).toBe('cseq-method-mismatch');
  });

  it('accepts any CSeq method in a response', () => {
    const m = parseMessage('SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n');
    expect(m.headers.cseq).toStrictEqual({ seq: 2, method: 'BYE' });
  });
});

const AUTH_CASES: [string, AuthHeader][] = [
  [
    'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
    {
      scheme: 'Digest',
      realm: '"atlanta.com"',
      domain: '"sip:boxesbybob.com"',
      qop: '"auth"',
      nonce: '"f84f1cec41e6cbe5aea9c8e88d359"',
      opaque: '""',
      stale: 'FALSE',
      algorithm: 'MD5',
    },
  ],
  [
    'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    {
      scheme: 'Digest',
      username: '"bob"',
      realm: '"biloxi.com"',
      nonce: '"dcd98b7102dd2f0e8b11d0f600bfb0c093"',
      uri: '"sip:bob@biloxi.com"',
      qop: 'auth',
      nc: '00000001',
      cnonce: '"0a4f113b"',
      response: '"6629fae49393a05397450978507c4ef1"',
      opaque: '"5ccc069c403ebaf9f0171e9517f40e41"',
    },
  ],
  // Parameter names are lower-cased; values are kept as written, quotes and escapes included.
  ['Digest Realm="x",NONCE="y"', { scheme: 'Digest', realm: '"x"', nonce: '"y"' }],
  ['Digest realm = "a, b" , nonce="c\\"d"', { scheme: 'Digest', realm: '"a, b"', nonce: '"c\\"d"' }],
  ['Digest realm="x", algorithm=SHA-256, userhash=true', { scheme: 'Digest', realm: '"x"', algorithm: 'SHA-256', userhash: 'true' }],
  ['Bearer realm="example.com"', { scheme: 'Bearer', realm: '"example.com"' }],
];

describe('authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 2617)', () => {
  it.each(AUTH_CASES)('%s', (value, expected) => {
    const h = headersOf('WWW-Authenticate: ' + value, 'Proxy-Authenticate: ' + value, 'Authorization: ' + value, 'Proxy-Authorization: ' + value);
    expect(h['www-authenticate']).toStrictEqual([expected]);
    expect(h['proxy-authenticate']).toStrictEqual([expected]);
    expect(h.authorization).toStrictEqual([expected]);
    expect(h['proxy-authorization']).toStrictEqual([expected]);
  });

  it.each(AUTH_CASES)('parseAuthHeader: %s', (value, expected) => {
    expect(parseAuthHeader(value)).toStrictEqual(expected);
  });

  it('collects repeated challenges into an array, in order', () => {
    const h = headersOf('WWW-Authenticate: Digest realm="a", nonce="1"', 'www-authenticate: Digest realm="b", nonce="2"');
    expect(h['www-authenticate']).toStrictEqual([
      { scheme: 'Digest', realm: '"a"', nonce: '"1"' },
      { scheme: 'Digest', realm: '"b"', nonce: '"2"' },
    ]);
  });

  it.each<[string, AuthInfo]>([
    ['nextnonce="47364c23432d2e131a5fb210812c"', { nextnonce: '"47364c23432d2e131a5fb210812c"' }],
    ['qop=auth, rspauth="6629fae4", cnonce="0a4f113b", nc=00000001', { qop: 'auth', rspauth: '"6629fae4"', cnonce: '"0a4f113b"', nc: '00000001' }],
  ])('Authentication-Info: %s', (value, expected) => {
    expect(headersOf('Authentication-Info: ' + value)['authentication-info']).toStrictEqual(expected);
    expect(parseAuthInfo(value)).toStrictEqual(expected);
  });

  it.each([
    ['Digest realm'],
    ['Digest realm="x'],
    ['Digest realm="x" nonce="y"'],
    ['Digest scheme="x"'],
    ['Digest ,realm="x"'],
    ['Digest="x"'],
  ])('rejects %j', (value) => {
    expect(['invalid-auth', 'unterminated-quote']).toContain(errorOf('Authorization: ' + value).code);
    expect(() => parseAuthHeader(value)).toThrow(SipParseError);
  });

  it('rejects a second Authentication-Info', () => {
    expect(errorOf('Authentication-Info: qop=auth', 'Authentication-Info: qop=auth').code).toBe('duplicate-header');
  });

  it.each<[AuthHeader | AuthInfo, string]>([
    [{ scheme: 'Digest', realm: '"x"', nonce: '"y"' }, 'Digest realm="x", nonce="y"'],
    [{ scheme: 'Digest', realm: '"x"', opaque: undefined, qop: 'auth' }, 'Digest realm="x", qop=auth'],
    [{ nextnonce: '"n"', qop: 'auth' }, 'nextnonce="n", qop=auth'],
  ])('stringifyAuthHeader(%j) is %s', (value, expected) => {
    expect(stringifyAuthHeader(value)).toBe(expected);
  });
});

describe('compact forms (RFC 3261 §7.3.3 and the IANA registry)', () => {
  it.each<[string, string, string, unknown]>([
    ['i', 'call-id', 'a84b4c76e66710@pc33.atlanta.com', 'a84b4c76e66710@pc33.atlanta.com'],
    ['m', 'contact', '<sip:a@b>', [{ name: undefined, uri: 'sip:a@b', params: {} }]],
    ['e', 'content-encoding', 'gzip', 'gzip'],
    ['l', 'content-length', '0', 0],
    ['c', 'content-type', 'application/sdp', 'application/sdp'],
    ['f', 'from', '<sip:a@b>;tag=1', { name: undefined, uri: 'sip:a@b', params: { tag: '1' } }],
    ['s', 'subject', 'Need more boxes', 'Need more boxes'],
    ['k', 'supported', '100rel', '100rel'],
    ['t', 'to', 'Bob <sip:b@c>', { name: 'Bob', uri: 'sip:b@c', params: {} }],
    ['v', 'via', 'SIP/2.0/UDP h;branch=z9hG4bK1', [via('h', undefined, { branch: 'z9hG4bK1' })]],
    ['o', 'event', 'presence', 'presence'],
    ['u', 'allow-events', 'presence, dialog', 'presence, dialog'],
    ['r', 'refer-to', '<sip:c@d>', { name: undefined, uri: 'sip:c@d', params: {} }],
    ['b', 'referred-by', '<sip:e@f>', '<sip:e@f>'],
    ['x', 'session-expires', '1800;refresher=uac', '1800;refresher=uac'],
    ['j', 'reject-contact', '*;audio', '*;audio'],
    ['a', 'accept-contact', '*;audio;require', '*;audio;require'],
    ['d', 'request-disposition', 'proxy', 'proxy'],
    ['y', 'identity', 'eyJhbGciOiJFUzI1NiJ9', 'eyJhbGciOiJFUzI1NiJ9'],
    ['n', 'identity-info', '<https://example.com/cert>;alg=rsa-sha1', '<https://example.com/cert>;alg=rsa-sha1'],
  ])('%s expands to %s', (compact, full, value, expected) => {
    for (const written of [compact, compact.toUpperCase()]) {
      const h = headersOf(`${written}: ${value}`);
      expect(h[full]).toStrictEqual(expected);
      expect(Object.keys(h)).toEqual([full]);
    }
    expect(COMPACT_FORMS[compact]).toBe(full);
    expect(expandCompactForm(compact)).toBe(full);
    expect(headerKey(compact.toUpperCase())).toBe(full);
  });

  it('has exactly the 20 registered compact forms', () => {
    expect(Object.keys(COMPACT_FORMS).sort().join('')).toBe('abcdefijklmnorstuvxy');
  });

  it.each([
    ['Call-ID', 'call-id'],
    ['CALL-ID', 'call-id'],
    ['cSeQ', 'cseq'],
    ['X-Custom-Header', 'x-custom-header'],
    ['Via', 'via'],
    ['g', 'g'],
  ])('headerKey(%s) is %s', (name, key) => {
    expect(headerKey(name)).toBe(key);
    expect(expandCompactForm(name.toLowerCase())).toBe(name.length === 1 ? key : name.toLowerCase());
  });

  it.each([
    ['call-id', 'Call-ID'],
    ['cseq', 'CSeq'],
    ['www-authenticate', 'WWW-Authenticate'],
    ['max-forwards', 'Max-Forwards'],
    ['content-length', 'Content-Length'],
    ['record-route', 'Record-Route'],
    ['proxy-authorization', 'Proxy-Authorization'],
    ['authentication-info', 'Authentication-Info'],
    ['mime-version', 'MIME-Version'],
    ['rack', 'RAck'],
    ['rseq', 'RSeq'],
    ['sip-etag', 'SIP-ETag'],
    ['sip-if-match', 'SIP-If-Match'],
    ['x-foo-bar', 'X-Foo-Bar'],
    ['via', 'Via'],
  ])('canonicalHeaderName(%s) is %s', (key, name) => {
    expect(canonicalHeaderName(key)).toBe(name);
  });
});

describe('other headers, repeated headers and duplicates', () => {
  it('keeps unknown headers as strings under their lower-case names', () => {
    const h = headersOf('X-Foo: bar', 'x-UPPER-lower: Mixed Case Value', 'Subject  : spaces before the colon', 'Expires: 3600');
    expect(h).toStrictEqual({ 'x-foo': 'bar', 'x-upper-lower': 'Mixed Case Value', subject: 'spaces before the colon', expires: '3600' });
  });

  it('trims whitespace around values and keeps an empty value', () => {
    const h = headersOf('Subject: \t  padded \t ', 'X-Empty:', 'X-Blank:    ');
    expect(h).toStrictEqual({ subject: 'padded', 'x-empty': '', 'x-blank': '' });
  });

  it('joins repeated headers with a comma, in order', () => {
    const h = headersOf('Allow: INVITE', 'Supported: timer', 'allow: ACK, BYE', 'k: 100rel', 'ALLOW: CANCEL');
    expect(h.allow).toBe('INVITE,ACK, BYE,CANCEL');
    expect(h.supported).toBe('timer,100rel');
  });

  it.each([
    ['From', 'From: <sip:a@b>;tag=1', 'From: <sip:a@b>;tag=2', 'duplicate-header'],
    ['From (f)', 'From: <sip:a@b>;tag=1', 'f: <sip:a@b>;tag=1', 'duplicate-header'],
    ['To', 'To: <sip:a@b>', 'To: <sip:c@d>', 'duplicate-header'],
    ['To (t)', 't: <sip:a@b>', 'TO: <sip:a@b>', 'duplicate-header'],
    ['Call-ID', 'Call-ID: a', 'Call-ID: b', 'duplicate-header'],
    ['Call-ID (i)', 'i: a', 'Call-ID: a', 'duplicate-header'],
    ['CSeq', 'CSeq: 1 OPTIONS', 'CSeq: 2 OPTIONS', 'duplicate-header'],
    ['Max-Forwards', 'Max-Forwards: 70', 'Max-Forwards: 69', 'duplicate-header'],
    ['Refer-To', 'Refer-To: <sip:a@b>', 'r: <sip:c@d>', 'duplicate-header'],
    ['Content-Length', 'Content-Length: 0', 'Content-Length: 0', 'multiple-content-length'],
    ['Content-Length (l)', 'l: 0', 'Content-Length: 0', 'multiple-content-length'],
  ])('a second %s is rejected', (_name, first, second, code) => {
    const e = errorOf(first, 'X-Between: 1', second);
    expect(e.code).toBe(code);
    expect(e.status).toBe(400);
    // The error points into the second occurrence.
    const secondAt = (START + first + '\r\nX-Between: 1\r\n').length;
    expect(e.offset).toBeGreaterThanOrEqual(secondAt);
    expect(e.offset).toBeLessThan(secondAt + second.length);
  });

  it.each([['__proto__'], ['Constructor'], ['hasOwnProperty'], ['toString']])(
    'keeps a header named %s (a name Object.prototype also has) as an own string property',
    (name) => {
      const h = headersOf(`${name}: first`, `${name}: second`);
      const key = name.toLowerCase();
      expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
      expect(Object.hasOwn(h, key)).toBe(true);
      expect(h[key]).toBe('first,second');
      expect(({} as Record<string, unknown>)['first']).toBeUndefined();
    },
  );

  it.each([['0'], ['70'], ['255'], ['00070']])('Max-Forwards %s is kept as a string', (value) => {
    expect(headersOf('Max-Forwards: ' + value)['max-forwards']).toBe(value);
  });

  it.each([['256'], ['-1'], ['abc'], [''], ['1 2'], ['7O'], ['99999999999999999999']])('Max-Forwards %j is rejected', (value) => {
    expect(errorOf('Max-Forwards: ' + value).code).toBe('invalid-max-forwards');
  });

  it.each([['abc'], ['-1'], ['1.5'], ['1 2'], ['0x10'], ['']])('Content-Length %j is rejected', (value) => {
    expect(errorOf('Content-Length: ' + value).code).toBe('invalid-content-length');
  });

  it('reads Content-Length as a number', () => {
    expect(headersOf('Content-Length:   0')['content-length']).toBe(0);
  });

  it('rejects an empty Call-ID', () => {
    expect(errorOf('Call-ID:').code).toBe('invalid-header-value');
  });

  it.each([['Sat, 13 Nov 2010 23:29:00 GMT'], ['Thu, 21 Feb 2002 13:02:03 GMT']])('accepts the SIP-date %s', (value) => {
    expect(headersOf('Date: ' + value).date).toBe(value);
  });

  it.each([['Sat, 13 Nov 2010 23:29:00 PST'], ['13 Nov 2010 23:29:00 GMT'], ['yesterday']])('rejects the Date %j (RFC 3261 §20.17)', (value) => {
    expect(errorOf('Date: ' + value).code).toBe('invalid-date');
  });
});

describe('folded header values (RFC 3261 §7.3.1)', () => {
  it('unfolds the RFC example into single spaces', () => {
    const h = headersOf("Subject: I know you're there,\r\n      pick up the phone\r\n   and talk to me!");
    expect(h.subject).toBe("I know you're there, pick up the phone and talk to me!");
  });

  it.each<[string, string, unknown]>([
    ['Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1,\r\n SIP/2.0/UDP b.example.com;branch=z9hG4bK2', [via('a.example.com', undefined, { branch: 'z9hG4bK1' }), via('b.example.com', undefined, { branch: 'z9hG4bK2' })]],
    ['From', '"Bob"\r\n\t<sip:bob@biloxi.com>\r\n ;tag=1', { name: '"Bob"', uri: 'sip:bob@biloxi.com', params: { tag: '1' } }],
    ['Contact', '<sip:a@x>,\r\n <sip:b@y>', [{ name: undefined, uri: 'sip:a@x', params: {} }, { name: undefined, uri: 'sip:b@y', params: {} }]],
    ['CSeq', '1\r\n OPTIONS', { seq: 1, method: 'OPTIONS' }],
    ['Content-Length', '\r\n 0', 0],
    ['X-Folded', 'a\r\n\tb\r\n  c', 'a b c'],
    ['Authorization', 'Digest username="bob",\r\n realm="biloxi.com",\r\n\tnonce="abc"', [{ scheme: 'Digest', username: '"bob"', realm: '"biloxi.com"', nonce: '"abc"' }]],
    ['WWW-Authenticate', 'Digest\r\n realm="x"', [{ scheme: 'Digest', realm: '"x"' }]],
  ])('%s', (name, value, expected) => {
    expect(headersOf(`${name}: ${value}`)[headerKey(name)]).toStrictEqual(expected);
  });

  // Folded values of the structured headers are parsed in place, each fold read as SP; what may
  // hold whitespace (quoted strings, display names) is unfolded when it is sliced.
  const FOLDED = [
    'Via: SIP\r\n /\r\n\t2.0 / UDP\r\n 127.0.0.1:5060\r\n ;branch=z9hG4bK1 ;received=\r\n 127.0.0.2,\r\n SIP/2.0/TCP 127.0.0.3;branch="z9hG4bK\r\n 2"',
    'From:\r\n "J\r\n  Rosenberg \\\\\\""\r\n\t<sip:j@127.0.0.1>\r\n ;\r\n tag = 98asjd8',
    'To: Bob\r\n  Smith  \r\n <sip:bob@127.0.0.1>;x="a\r\n b"',
    'CSeq: 0009\r\n  OPTIONS',
    'Route:\r\n <sip:127.0.0.1;lr>,\r\n\t<sip:127.0.0.2;lr>',
    'Record-Route: <sip:127.0.0.4;lr>\r\n ,<sip:127.0.0.5;lr>',
    'Path: <sip:127.0.0.6;lr>\r\n ;p=1',
    'Refer-To:\r\n <sip:c@127.0.0.1>',
    'Contact: "Quoted string \\"\\"" <sip:j@127.0.0.1> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33',
    'Authorization: Digest\r\n username="bob",\r\n realm="a\r\n b", nonce=abc',
    'Max-Forwards:\r\n 70',
    'Call-ID: a\r\n b',
    'Date: Sat, 13 Nov 2010\r\n 23:29:00 GMT',
    'Subject: one\r\n two',
  ];
  const unfolded = (line: string) => line.replace(/\r\n[ \t]+/g, ' ');

  it.each([
    [false, ''],
    [true, ''],
    [false, 'Subject: café ☺'],
    [true, 'Subject: café ☺'],
  ])('a folded message parses as its text with each fold as one SP (strict: %s, first line %j)', (strict, first) => {
    // A first line with UTF-8 takes the parse through the decoded text and its own codes.
    const message = (lines: string[]) => new TextEncoder().encode(START + [first, ...lines].filter((l) => l !== '').map((l) => l + '\r\n').join('') + '\r\n');
    const expected = parseMessage(message(FOLDED.map(unfolded)), { strict }).headers;
    expect(expected.from?.name).toBe('"J Rosenberg \\\\\\""');
    expect(expected.to?.name).toBe('Bob Smith');
    expect(expected.via?.[1]?.params.branch).toBe('"z9hG4bK 2"');
    expect(expected.authorization?.[0]?.realm).toBe('"a b"');
    expect(parseMessage(message(FOLDED), { strict }).headers).toStrictEqual(expected);
    // Line by line too: each folded value alone, between unfolded neighbours.
    for (const [i, line] of FOLDED.entries()) {
      const lines = FOLDED.map(unfolded);
      lines[i] = line;
      expect(parseMessage(message(lines), { strict }).headers, line).toStrictEqual(expected);
    }
  });

  it('a reused input buffer is read afresh: the folded codes of its last parse are not kept', () => {
    const text = (sentBy: string) => START + `Via: SIP/2.0/UDP\r\n ${sentBy};branch=z9hG4bK1\r\n\r\n`;
    const bytes = new TextEncoder().encode(text('127.0.0.1;ab'));
    expect(parseMessage(bytes).headers.via?.[0]).toMatchObject({ host: '127.0.0.1', port: undefined });
    bytes.set(new TextEncoder().encode(text('127.0.0.1:50')));
    expect(parseMessage(bytes).headers.via?.[0]).toMatchObject({ host: '127.0.0.1', port: 50, params: { branch: 'z9hG4bK1' } });
  });

  it('after a folded value that fails, the next headers are read from their own bytes', () => {
    const lines = ['Contact: <sip:a@127.0.0.1>,\r\n <sip:@>', 'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1', 'CSeq: 1 OPTIONS'];
    const text = START + lines.map((l) => l + '\r\n').join('') + '\r\n';
    const m = parseMessage(text);
    expect(m.headers.via?.[0]?.params.branch).toBe('z9hG4bK1');
    expect(m.headers.cseq).toStrictEqual({ seq: 1, method: 'OPTIONS' });
    expect(() => parseMessage(text, { strict: true })).toThrow(SipParseError);
    expect(parseMessage(START + lines.slice(1).map((l) => l + '\r\n').join('') + '\r\n').headers.via?.[0]?.host).toBe('127.0.0.1');
  });
});
