/**
 * The URI inside a name-addr / addr-spec (From, To, Refer-To, Contact, Route, Record-Route, Path)
 * is validated as `parseUri` validates it (RFC 3261 §25.1: `SIP-URI = "sip:" [ userinfo ] hostport
 * uri-parameters [ headers ]`, the host is required), with the fault's offset.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerFaults, parseMessage, parseNameAddr, parseNameAddrList, parseUri, type NameAddr } from './index.js';
import { thrownParseError as thrown } from '../test/helpers.js';

const START = 'OPTIONS sip:bob@biloxi.com SIP/2.0\r\n';

/** A minimal request carrying `lines`. */
function message(...lines: string[]): string {
  return START + lines.map((l) => l + '\r\n').join('') + '\r\n';
}

describe('name-addr URIs that parseUri accepts are accepted', () => {
  it.each([
    ['<sip:alice@atlanta.com>', 'sip:alice@atlanta.com'],
    ['<sips:alice:secret@atlanta.com:5061;transport=tls>', 'sips:alice:secret@atlanta.com:5061;transport=tls'],
    ['<sip:atlanta.com>', 'sip:atlanta.com'],
    ['<SIP:Alice@ATLANTA.com>', 'SIP:Alice@ATLANTA.com'],
    ['<sip:+12125551212@gw.example.com;user=phone>', 'sip:+12125551212@gw.example.com;user=phone'],
    ['<sip:%61lice@example.com;%6C%72;n%61me=v%61lue%25%34%31>', 'sip:%61lice@example.com;%6C%72;n%61me=v%61lue%25%34%31'],
    ['<sip:user;par=u%40example.net@host.example.net>', 'sip:user;par=u%40example.net@host.example.net'],
    ['<sip:alice@[2001:db8::1]:5070;lr>', 'sip:alice@[2001:db8::1]:5070;lr'],
    ['<sip:[::ffff:192.0.2.1]>', 'sip:[::ffff:192.0.2.1]'],
    ['<sip:alice@192.0.2.4:0>', 'sip:alice@192.0.2.4:0'],
    ['<sip:alice@my_host.example.com>', 'sip:alice@my_host.example.com'],
    // A UTF-8 user part is kept, as parseUri keeps it.
    ['<sip:alicé@atlanta.com>', 'sip:alicé@atlanta.com'],
    ['<sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15;lr>', 'sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15;lr'],
    ['<sip:alice@atlanta.com;x=>', 'sip:alice@atlanta.com;x='],
    ['<sip:alice@atlanta.com?subject=project%20x&priority=urgent>', 'sip:alice@atlanta.com?subject=project%20x&priority=urgent'],
    ['<sip:alice@atlanta.com?Route=%3Csip:p.example.com%3E>', 'sip:alice@atlanta.com?Route=%3Csip:p.example.com%3E'],
    ['sip:alice@atlanta.com:5060', 'sip:alice@atlanta.com:5060'],
    ['sip:[2001:db8::1]', 'sip:[2001:db8::1]'],
    ['<tel:+1-201-555-0123;phone-context=example.com>', 'tel:+1-201-555-0123;phone-context=example.com'],
    ['<urn:service:sos>', 'urn:service:sos'],
    ['<http://www.example.com/a?b=c>', 'http://www.example.com/a?b=c'],
  ])('%s', (value, uri) => {
    expect(parseUri(uri)).toBeDefined();
    const expected: NameAddr = { name: '"A"', uri, params: { tag: '1' } };
    const withName = value.startsWith('<') ? '"A" ' + value + ';tag=1' : '"A" <' + value + '>;tag=1';
    expect(parseNameAddr(withName)).toStrictEqual(expected);
    expect(parseMessage(message('From: ' + withName)).headers.from).toStrictEqual(expected);
    expect(parseNameAddr(value + ';tag=1').uri).toBe(uri);
  });
});

describe('name-addr URIs that parseUri rejects are rejected', () => {
  // [value, code, offset of the fault in the value]
  it.each<[string, string, number]>([
    ['"A" <sip:alice@>;tag=1', 'invalid-uri', '"A" <sip:alice@'.length],
    ['<sip:>', 'invalid-uri', '<sip:'.length],
    ['<sips:>', 'invalid-uri', '<sips:'.length],
    ['<sip:@atlanta.com>', 'invalid-uri', '<sip:'.length],
    ['<sip::pw@atlanta.com>', 'invalid-uri', '<sip:'.length],
    ['<sip:alice@atlanta.com:>', 'invalid-uri', '<sip:alice@atlanta.com:'.length],
    ['<sip:alice@atlanta.com:65536>', 'invalid-uri', '<sip:alice@atlanta.com:'.length],
    ['<sip:alice@atlanta.com:123456>', 'invalid-uri', '<sip:alice@atlanta.com:'.length],
    ['<sip:alice@atlanta.com:50x60>', 'invalid-uri', '<sip:alice@atlanta.com:50'.length],
    ['<sip:al"ice@atlanta.com>', 'invalid-uri', '<sip:al'.length],
    ['<sip:alice@atlanta.com/path>', 'invalid-uri', '<sip:alice@atlanta.com'.length],
    ['<sip:alice@atlanta.com@evil.com>', 'invalid-uri', '<sip:alice@atlanta.com'.length],
    ['<sip:alice@atl{anta.com>', 'invalid-uri', '<sip:alice@atl'.length],
    ['<sip:alice@[2001:db8::1>', 'invalid-uri', '<sip:alice@'.length],
    ['<sip:alice@[2001:db8::g]>', 'invalid-uri', '<sip:alice@'.length],
    ['<sip:alice@[]>', 'invalid-uri', '<sip:alice@'.length],
    ['<sip:alice@[::1]x>', 'invalid-uri', '<sip:alice@[::1]'.length],
    ['<sip:alice@atlanta.com;>', 'invalid-uri', '<sip:alice@atlanta.com;'.length],
    ['<sip:alice@atlanta.com;;lr>', 'invalid-uri', '<sip:alice@atlanta.com;'.length],
    ['<sip:alice@atlanta.com;a=b=c>', 'invalid-uri', '<sip:alice@atlanta.com;a=b'.length],
    ['<sip:alice@atlanta.com?subject>', 'invalid-uri', '<sip:alice@atlanta.com?'.length],
    ['<sip:alice@atlanta.com?=x>', 'invalid-uri', '<sip:alice@atlanta.com?'.length],
    ['<sip:alice@atlanta.com?a=1&>', 'invalid-uri', '<sip:alice@atlanta.com?a=1&'.length],
    ['<sip:alice@atlanta.com?a=1;lr>', 'invalid-uri', '<sip:alice@atlanta.com?a=1'.length],
    ['sip:alice@', 'invalid-uri', 'sip:alice@'.length],
    ['sip:alice@;tag=1', 'invalid-uri', 'sip:alice@'.length],
    ['sip:alice@atlanta.com:99999;tag=1', 'invalid-uri', 'sip:alice@atlanta.com:'.length],
    ['sip:[2001:db8::1;tag=1', 'invalid-uri', 'sip:'.length],
    // Whitespace inside <> keeps its name-addr code (RFC 3261 §25.1: no LWS inside a URI).
    ['<sip:alice@atla nta.com>', 'invalid-name-addr', '<sip:alice@atla'.length],
    ['<sip:alice @atlanta.com>', 'invalid-name-addr', '<sip:alice'.length],
    ['<sip:alice@atlanta.com >', 'invalid-name-addr', '<sip:alice@atlanta.com'.length],
    // Other schemes: the same light checks as parseUri.
    ['<tel:>', 'invalid-uri', '<tel:'.length],
    ['<tel:;x=1>', 'invalid-uri', '<tel:'.length],
    ['<tel:+1;;x>', 'invalid-uri', '<tel:+1;'.length],
    ['<tel:+1;>', 'invalid-uri', '<tel:+1;'.length],
    ['<mailto:>', 'invalid-uri', '<mailto:'.length],
    ['<urn:\u007fx>', 'invalid-uri', '<urn:'.length],
  ])('%j: %s at %d', (value, code, offset) => {
    if (code === 'invalid-uri') {
      const uri = value.includes('<') ? value.slice(value.indexOf('<') + 1, value.indexOf('>')) : value.split(';tag')[0] ?? '';
      expect(parseUri(uri)).toBeUndefined();
    }
    const e = thrown(() => parseNameAddr(value));
    expect([e.code, e.offset, e.status]).toEqual([code, offset, 400]);
    const inMessage = thrown(() => parseMessage(message('From: ' + value), { strict: true }));
    expect([inMessage.code, inMessage.offset]).toEqual([code, START.length + 'From: '.length + offset]);
  });

  it.each([['to'], ['refer-to'], ['contact'], ['route'], ['record-route'], ['path']])('in %s', (key) => {
    const line = `${key}: <sip:a@x.example.com>;tag=1`;
    expect(() => parseMessage(message(line))).not.toThrow();
    const bad = `${key}: <sip:a@>`;
    const e = thrown(() => parseMessage(message(bad), { strict: true }));
    expect([e.code, e.offset]).toEqual(['invalid-uri', START.length + bad.indexOf('>')]);
    if (key === 'to' || key === 'route') return; // needed by the stack: rejected in both modes
    // Liberal (default): delivered, the header keeps its text, the fault has the same code and offset.
    const m = parseMessage(message(bad));
    expect(m.headers[key]).toBe('<sip:a@>');
    expect(headerFaults(m).map((f) => [f.header, f.error.code, f.error.offset])).toEqual([[key, 'invalid-uri', e.offset]]);
  });

  it('in the second element of a Contact list, with its offset', () => {
    const value = '<sip:a@x.example.com>;q=0.5, "B" <sip:b@y.example.com:0x50>';
    const e = thrown(() => parseNameAddrList(value));
    expect([e.code, e.offset]).toEqual(['invalid-uri', value.indexOf(':0x50') + 2]);
    const at = START.length + 'Contact: '.length + value.indexOf(':0x50') + 2;
    expect(thrown(() => parseMessage(message('Contact: ' + value), { strict: true })).offset).toBe(at);
    expect(headerFaults(parseMessage(message('Contact: ' + value)))[0]?.error.offset).toBe(at);
  });

  it('after a UTF-8 display name, the offset counts bytes', () => {
    const bytes = new TextEncoder().encode(message('From: "Jürgen" <sip:j@>;tag=1'));
    const e = thrown(() => parseMessage(bytes, { strict: true }));
    expect([e.code, e.offset]).toEqual(['invalid-uri', START.length + 'From: "Jürgen" <sip:j@'.length + 1]);
  });

  it('in a folded header, at the fault (the value is parsed in place)', () => {
    const e = thrown(() => parseMessage(message('From: "A"', ' <sip:alice@>;tag=1'), { strict: true }));
    expect([e.code, e.offset]).toEqual(['invalid-uri', START.length + 'From: "A"\r\n <sip:alice@'.length]);
  });

  it('Contact: * is still accepted, bare or in brackets', () => {
    expect(parseMessage(message('Contact: *')).headers.contact).toStrictEqual([{ name: undefined, uri: '*', params: {} }]);
    expect(parseNameAddr('<*>').uri).toBe('*');
  });
});

/** SIP URIs built from mostly valid parts and some invalid ones, so both outcomes are frequent. */
const uriChars = "aZ09-_.!~*'()%&=+$,;?/:@[]<>\"{}|#é\t".split('');
const part = (chars: string[], max: number) => fc.string({ unit: fc.constantFrom(...chars), maxLength: max });
/** `valid` four times as often as `invalid`. */
const mostly = <T,>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: invalid, weight: 1 });
const generatedSipUri = fc
  .tuple(
    fc.constantFrom('sip:', 'sips:', 'SIP:', 'sIpS:'),
    mostly(fc.oneof(fc.constant(''), part('alice09-_.!%+;=&$,~*:'.split(''), 8).map((u) => 'u' + u + '@')), part(uriChars, 6).map((u) => u + '@')),
    mostly(
      fc.constantFrom('atlanta.com', '192.0.2.1', '[2001:db8::1]', '[::ffff:192.0.2.1]', 'my_host', 'a-b.example'),
      fc.oneof(fc.constantFrom('', '[', '[]', '[::1', '[g::1]'), part('abc09.-_[]:'.split(''), 10)),
    ),
    mostly(fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 65535 }).map((p) => ':' + String(p))), fc.stringMatching(/^:[0-9x]{0,7}$/)),
    fc.array(mostly(part('lrtansp=%3A-_.:[]&+$'.split(''), 8).map((p) => 'x' + p), part(uriChars, 5)).map((p) => ';' + p), { maxLength: 3 }),
    mostly(fc.oneof(fc.constant(''), part('abc%20?:+$[]/'.split(''), 6).map((h) => '?h=' + h)), part(uriChars, 6).map((h) => '?' + h)),
  )
  .map((parts) => parts.join(''));

describe('a From header accepts exactly the SIP URIs parseUri accepts', () => {
  it('generated sip/sips URIs', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(generatedSipUri, (uri) => {
        const valid = parseUri(uri) !== undefined;
        if (valid) accepted++;
        else rejected++;
        let viaNameAddr = true;
        try {
          parseNameAddr(`"A" <${uri}>;tag=1`);
        } catch {
          viaNameAddr = false;
        }
        const inMessage = (() => {
          try {
            return parseMessage(message(`From: "A" <${uri}>;tag=1`)).headers.from?.uri;
          } catch {
            return undefined;
          }
        })();
        expect(viaNameAddr, uri).toBe(valid);
        expect(inMessage, uri).toBe(valid ? uri : undefined);
      }),
      { numRuns: 2000 },
    );
    // The generator must exercise both sides of the property.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});
