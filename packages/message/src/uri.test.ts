/**
 * URIs: parseUri, stringifyUri, uriEquals (RFC 3261 §19.1, §19.1.4; RFC 3966; RFC 5118).
 */
import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  isSipUri,
  parseUri,
  parseUriOrThrow,
  stringifyUri,
  unescapeUriPart,
  uriEquals,
  type SipUri,
  type Uri,
} from './index.js';

/** A SipUri with every key present, as parseUri builds it. */
function sipUri(parts: Partial<SipUri> & { host: string }): SipUri {
  return {
    schema: 'sip',
    user: undefined,
    password: undefined,
    port: undefined,
    params: {},
    headers: {},
    ...parts,
  };
}

describe('parseUri: sip and sips URIs (RFC 3261 §19.1.1, §19.1.3)', () => {
  it.each<[string, SipUri]>([
    ['sip:alice@atlanta.com', sipUri({ user: 'alice', host: 'atlanta.com' })],
    [
      'sip:alice:secretword@atlanta.com;transport=tcp',
      sipUri({ user: 'alice', password: 'secretword', host: 'atlanta.com', params: { transport: 'tcp' } }),
    ],
    [
      'sips:alice@atlanta.com?subject=project%20x&priority=urgent',
      sipUri({ schema: 'sips', user: 'alice', host: 'atlanta.com', headers: { subject: 'project%20x', priority: 'urgent' } }),
    ],
    [
      'sip:+1-212-555-1212:1234@gateway.com;user=phone',
      sipUri({ user: '+1-212-555-1212', password: '1234', host: 'gateway.com', params: { user: 'phone' } }),
    ],
    ['sips:1212@gateway.com', sipUri({ schema: 'sips', user: '1212', host: 'gateway.com' })],
    ['sip:alice@192.0.2.4', sipUri({ user: 'alice', host: '192.0.2.4' })],
    [
      'sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com',
      sipUri({ host: 'atlanta.com', params: { method: 'REGISTER' }, headers: { to: 'alice%40atlanta.com' } }),
    ],
    ['sip:alice;day=tuesday@atlanta.com', sipUri({ user: 'alice;day=tuesday', host: 'atlanta.com' })],
    ['sip:bob@biloxi.com:5060', sipUri({ user: 'bob', host: 'biloxi.com', port: 5060 })],
    ['sip:bob@biloxi.com:0', sipUri({ user: 'bob', host: 'biloxi.com', port: 0 })],
    ['sip:bob@biloxi.com:65535', sipUri({ user: 'bob', host: 'biloxi.com', port: 65535 })],
    ['sip:%61lice@atlanta.com', sipUri({ user: '%61lice', host: 'atlanta.com' })],
    ['sip:p1.example.com;lr', sipUri({ host: 'p1.example.com', params: { lr: null } })],
    // Scheme lower-cased; user and host kept as written; parameter names lower-cased, values as written.
    [
      'SIP:Alice@Example.COM;Transport=TCP;LR;Maddr=239.255.255.1',
      sipUri({ user: 'Alice', host: 'Example.COM', params: { transport: 'TCP', lr: null, maddr: '239.255.255.1' } }),
    ],
    // RFC 5118: IPv6 references keep their brackets.
    [
      'sip:alice@[2001:db8::10]:5070;transport=tcp',
      sipUri({ user: 'alice', host: '[2001:db8::10]', port: 5070, params: { transport: 'tcp' } }),
    ],
    ['sip:[::1]', sipUri({ host: '[::1]' })],
    ['sip:[2001:db8::192.0.2.1]:5060', sipUri({ host: '[2001:db8::192.0.2.1]', port: 5060 })],
    ['sip:host.example.com;maddr=[2001:db8::1]', sipUri({ host: 'host.example.com', params: { maddr: '[2001:db8::1]' } })],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toStrictEqual(expected);
  });
});

describe('parseUri: tel and other schemes', () => {
  it.each<[string, Uri]>([
    ['tel:+1-201-555-0123', { schema: 'tel', number: '+1-201-555-0123', params: {} }],
    ['tel:7042;phone-context=example.com', { schema: 'tel', number: '7042', params: { 'phone-context': 'example.com' } }],
    ['tel:+1-201-555-0123;Ext=1234;isub', { schema: 'tel', number: '+1-201-555-0123', params: { ext: '1234', isub: null } }],
    ['TEL:+12', { schema: 'tel', number: '+12', params: {} }],
    ['mailto:alice@atlanta.com', { schema: 'mailto', opaque: 'alice@atlanta.com' }],
    ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', { schema: 'urn', opaque: 'uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6' }],
    ['HTTP://www.example.com/x', { schema: 'http', opaque: '//www.example.com/x' }],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toStrictEqual(expected);
  });
});

describe('parseUri: invalid text gives undefined, never a throw', () => {
  it.each([
    [''],
    ['alice@atlanta.com'],
    ['1sip:alice@atlanta.com'],
    ['sip:'],
    ['sip:@atlanta.com'],
    ['sip:alice@'],
    ['sip:alice@atlanta.com:'],
    ['sip:alice@atlanta.com:65536'],
    ['sip:alice@atlanta.com:123456'],
    ['sip:alice@atlanta.com:50x'],
    ['sip:alice@[2001:db8::1'],
    ['sip:alice@[]'],
    ['sip:alice@[zz::1]'],
    ['sip:atlanta.com;'],
    ['sip:atlanta.com;=x'],
    ['sip:atlanta.com?'],
    ['sip:atlanta.com?subject'],
    ['sip:alice @atlanta.com'],
    ['sip:alice@atlanta.com ;lr'],
    ['sip:alice@atlanta.com\r\n'],
    ['sip:alice@atla nta.com'],
    ['<sip:alice@atlanta.com>'],
    ['sip:alice@atlanta.com>'],
    ['tel:'],
    ['tel:+1;;x'],
    ['mailto:'],
  ])('%j', (text) => {
    expect(parseUri(text)).toBeUndefined();
  });

  it('parseUriOrThrow throws an invalid-uri SipParseError whose offset points at the fault', () => {
    const cases: [string, number][] = [
      ['sip:alice@atlanta.com:99999', 'sip:alice@atlanta.com:'.length],
      ['sip:alice @atlanta.com', 'sip:alice'.length],
      ['sip:alice@atlanta.com;lr>', 'sip:alice@atlanta.com;lr'.length],
      ['alice', 0],
    ];
    for (const [text, offset] of cases) {
      let error: unknown;
      try {
        parseUriOrThrow(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(SipParseError);
      expect((error as SipParseError).code, text).toBe('invalid-uri');
      expect((error as SipParseError).offset, text).toBe(offset);
    }
  });
});

describe('parseUri: object model rules', () => {
  it('returns a URI object unchanged (the same object)', () => {
    const uri = sipUri({ user: 'bob', host: 'biloxi.com' });
    expect(parseUri(uri)).toBe(uri);
  });

  it.each([['sip:alice@atlanta.com'], ['sip:alice@atlanta.com;transport=udp'], ['sips:[::1]'], ['sip:atlanta.com?x=y']])(
    'port is undefined, never NaN, when absent: %s',
    (text) => {
      const uri = parseUri(text);
      expect(isSipUri(uri)).toBe(true);
      expect(Object.hasOwn(uri as SipUri, 'port')).toBe(true);
      expect((uri as SipUri).port).toBeUndefined();
    },
  );

  it('keeps a parameter or URI header named __proto__ as an own property', () => {
    const uri = parseUri('sip:a@b;__proto__=x?__proto__=y') as SipUri;
    expect(Object.getPrototypeOf(uri.params)).toBe(Object.prototype);
    expect(Object.hasOwn(uri.params, '__proto__')).toBe(true);
    expect(uri.params['__proto__']).toBe('x');
    expect(Object.hasOwn(uri.headers, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it.each<[Uri | undefined, boolean]>([
    [parseUri('sip:a@b'), true],
    [parseUri('sips:a@b'), true],
    [parseUri('tel:+1'), false],
    [parseUri('mailto:a@b'), false],
    [undefined, false],
  ])('isSipUri(%j) is %s', (uri, expected) => {
    expect(isSipUri(uri)).toBe(expected);
  });

  it.each([
    ['%61lice', 'alice'],
    ['alice', 'alice'],
    ['project%20x', 'project x'],
    ['%2B1%2b2', '+1+2'],
    ['100%', '100%'],
    ['%zz', '%zz'],
  ])('unescapeUriPart(%j) is %j', (text, expected) => {
    expect(unescapeUriPart(text)).toBe(expected);
  });
});

describe('stringifyUri', () => {
  it.each([
    ['sip:alice@atlanta.com'],
    ['sip:alice:secretword@atlanta.com;transport=tcp'],
    ['sips:alice@atlanta.com?subject=project%20x&priority=urgent'],
    ['sip:+1-212-555-1212:1234@gateway.com;user=phone'],
    ['sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com'],
    ['sip:alice;day=tuesday@atlanta.com'],
    ['sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com:0'],
    ['sip:p1.example.com;lr'],
    ['sip:alice@[2001:db8::10]:5070;transport=tcp'],
    ['sip:[::1]'],
    ['tel:+1-201-555-0123;ext=1234;isub'],
    ['mailto:alice@atlanta.com'],
    ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
  ])('is the inverse of parseUri: %s', (text) => {
    const uri = parseUri(text);
    expect(uri).toBeDefined();
    expect(stringifyUri(uri as Uri)).toBe(text);
  });

  it('writes the normalised form: lower-case scheme and parameter names, values as written', () => {
    expect(stringifyUri(parseUri('SIP:Alice@Example.COM;Transport=TCP;LR') as Uri)).toBe('sip:Alice@Example.COM;transport=TCP;lr');
  });

  it('returns a string unchanged', () => {
    expect(stringifyUri('not even a uri')).toBe('not even a uri');
  });

  it.each<[Partial<SipUri>, string]>([
    [{ host: 'example.com' }, 'sip:example.com'],
    [{ user: 'bob', host: 'example.com', params: { lr: null }, headers: {} }, 'sip:bob@example.com;lr'],
    [{ schema: 'sips', user: 'bob', host: 'example.com', port: 5061 }, 'sips:bob@example.com:5061'],
    [{ user: '', host: 'example.com' }, 'sip:example.com'],
    [{ host: 'example.com', port: 0 }, 'sip:example.com:0'],
    [{ host: 'example.com', port: Number.NaN }, 'sip:example.com'],
    [{ host: 'example.com', params: { expires: 0 } }, 'sip:example.com;expires=0'],
    [{ host: 'example.com', params: { transport: 'tcp', skipped: undefined, lr: null } }, 'sip:example.com;transport=tcp;lr'],
    [{ host: 'example.com', headers: { subject: 'hi', priority: 'urgent' } }, 'sip:example.com?subject=hi&priority=urgent'],
  ])('writes %j as %s', (uri, expected) => {
    expect(stringifyUri(uri)).toBe(expected);
  });

  it('brackets an IPv6 host set without brackets (RFC 3261 §25.1 IPv6reference; RFC 5118 §4.2, §4.3)', () => {
    expect(stringifyUri({ host: '2001:db8::1', port: 5060 })).toBe('sip:[2001:db8::1]:5060');
    expect(stringifyUri({ host: '::1' })).toBe('sip:[::1]');
  });
});

/** The examples of RFC 3261 §19.1.4, in both directions. */
describe('uriEquals (RFC 3261 §19.1.4)', () => {
  const equal: [string, string][] = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
    // The non-transitivity note: each is equal to the URI without `security`.
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=off'],
    // Further rules of the section.
    ['sip:alice:pw@atlanta.com', 'sip:alice:pw@ATLANTA.COM'],
    ['sip:alice@atlanta.com:5060', 'sip:alice@atlanta.com:5060'],
    ['SIP:alice@atlanta.com', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;maddr=239.255.255.1', 'sip:alice@atlanta.com;MADDR=239.255.255.1'],
    ['sip:alice@atlanta.com;lr', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com?Subject=x', 'sip:alice@atlanta.com?subject=x'],
    ['sip:alice@[2001:db8::1]', 'sip:alice@[2001:DB8::1]'],
  ];
  const notEqual: [string, string][] = [
    // Different usernames (userinfo is case-sensitive).
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:alice@atlanta.com', 'sip:ALICE@atlanta.com'],
    // Can resolve to different ports.
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    // Can resolve to different transports.
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    // Can resolve to different port and transports.
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    // Different header component.
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    // Even though that is what phone21.boxesbybob.com resolves to.
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    // The non-transitivity note.
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    // Further rules of the section.
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
    ['sip:alice:pw@atlanta.com', 'sip:alice:PW@atlanta.com'],
    ['sip:alice:pw@atlanta.com', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;user=phone', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;ttl=16', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;method=INVITE', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;maddr=239.255.255.1', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;maddr=239.255.255.1', 'sip:alice@atlanta.com;maddr=239.255.255.2'],
    ['sip:alice@atlanta.com:5060', 'sip:alice@atlanta.com:5070'],
    ['sip:alice@atlanta.com?subject=a', 'sip:alice@atlanta.com?subject=b'],
    ['sip:alice@atlanta.com?subject=a', 'sip:alice@atlanta.com?subject=a&priority=urgent'],
    // Reserved characters differ from their %HEX HEX encoding ("+" is reserved, RFC 2396 §2.2, RFC 3986 §2.2).
    ['sip:alice%2Bbob@atlanta.com', 'sip:alice+bob@atlanta.com'],
  ];

  it.each(equal)('%s == %s', (a, b) => {
    expect(uriEquals(a, b)).toBe(true);
    expect(uriEquals(b, a)).toBe(true);
  });

  it.each(notEqual)('%s != %s', (a, b) => {
    expect(uriEquals(a, b)).toBe(false);
    expect(uriEquals(b, a)).toBe(false);
  });

  it('accepts URI objects as well as strings', () => {
    const a = parseUri('sip:%61lice@atlanta.com;transport=TCP') as Uri;
    expect(uriEquals(a, 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(uriEquals(a, parseUri('sip:alice@atlanta.com:5060') as Uri)).toBe(false);
  });

  it.each<[string, string, boolean]>([
    ['tel:+1-201-555-0123', 'tel:+1-201-555-0123', true],
    ['TEL:+1-201-555-0123', 'tel:+1-201-555-0123', true],
    ['tel:+1-201-555-0123', 'tel:+1-201-555-0124', false],
    ['mailto:alice@atlanta.com', 'mailto:alice@atlanta.com', true],
    ['mailto:alice@atlanta.com', 'mailto:bob@atlanta.com', false],
    ['tel:+1-201-555-0123', 'sip:+1-201-555-0123@atlanta.com', false],
  ])('other schemes: %s vs %s is %s', (a, b, expected) => {
    expect(uriEquals(a, b)).toBe(expected);
  });

  it.each([
    ['sip:alice@', 'sip:alice@'],
    ['not a uri', 'not a uri'],
    ['sip:alice@atlanta.com', 'sip:alice@atlanta.com:99999'],
  ])('an unparseable URI equals nothing: %s vs %s', (a, b) => {
    expect(uriEquals(a, b)).toBe(false);
  });
});
