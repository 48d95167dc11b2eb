/**
 * The default (liberal) mode on the corpus: a fault in a header the stack needs rejects the message
 * exactly as the strict mode does; a fault in any other header is reported, never thrown
 * (RFC 4475 §3.1.2.12).
 */
import { describe, expect, it } from 'vitest';
import { SipParseError, headerFaults, parse, parseMessage, parsedHeader, stringifyMessage, type NameAddr } from '../src/index.js';
import { readFixture } from './read-fixture.js';
import { LIBERAL_DELIVERS, TORTURE } from './torture-table.js';

interface Case {
  file: string;
  name: string;
}

const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as Case[];

function errorOf(f: () => unknown): SipParseError {
  try {
    f();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}

describe('liberal parse of the torture corpus', () => {
  it('delivers exactly the cases of the liberal table, each of them strict-rejected', () => {
    for (const name of Object.keys(LIBERAL_DELIVERS)) expect(TORTURE[name]?.outcome, name).toBe('reject');
  });

  for (const c of manifest) {
    const table = TORTURE[c.name];
    if (table?.outcome !== 'reject') continue;
    const delivered = LIBERAL_DELIVERS[c.name];
    it(`${c.name}: ${delivered ? `delivered with its ${delivered.header} fault` : 'rejected as in strict mode'}`, async () => {
      const bytes = await readFixture(`torture/${c.file}`);
      const strict = errorOf(() => parseMessage(bytes, { strict: true }));
      expect(strict.code).toBe(table.code);
      if (delivered === undefined) {
        const e = errorOf(() => parseMessage(bytes));
        expect([e.code, e.offset, e.status]).toEqual([strict.code, strict.offset, strict.status]);
        return;
      }
      const m = parseMessage(bytes);
      expect(() => JSON.stringify(m)).not.toThrow();
      expect(typeof m.headers[delivered.header]).toBe('string');
      const faults = headerFaults(m);
      expect(faults.map((f) => [f.header, f.error.code])).toEqual([[delivered.header, delivered.code]]);
      expect(faults[0]?.error.offset).toBe(strict.offset);
      expect(faults[0]?.error.status).toBe(strict.status);
      // The classic entry point is liberal too.
      expect(parse(bytes)).toBeDefined();
    });
  }

  it('baddate is delivered with the Date text as written', async () => {
    const m = parseMessage(await readFixture('torture/rfc4475/baddate.sip'));
    expect(m.method).toBe('INVITE');
    expect(m.headers.date).toBe('Fri, 01 Jan 2010 16:00:00 EST');
    expect(headerFaults(m)[0]?.error.message).toContain('RFC 1123');
  });
});

describe('liberal parse: faults in headers parsed on demand', () => {
  const START = 'OPTIONS sip:bob@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n';
  const msg = (...lines: string[]): string => START + lines.map((l) => l + '\r\n').join('') + '\r\n';

  it.each([
    ['Contact: <sip:a@x', 'contact', 'invalid-name-addr'],
    ['Record-Route: <sip:@p1>', 'record-route', 'invalid-uri'],
    ['Authorization: Digest realm', 'authorization', 'invalid-auth'],
    ['WWW-Authenticate: Digest realm="x', 'www-authenticate', 'unterminated-quote'],
  ])('%s: reading it never throws; the fault is reported once', (line, key, code) => {
    const m = parseMessage(msg(line));
    expect(() => m.headers[key]).not.toThrow();
    expect(m.headers[key]).toBe(line.slice(line.indexOf(':') + 2));
    expect(headerFaults(m).map((f) => [f.header, f.error.code])).toEqual([[key, code]]);
    expect(headerFaults(m)).toHaveLength(1);
    expect(parsedHeader(m, key as 'contact')).toBeUndefined(); // the typed read: no text in a structured type
  });

  it('parsedHeader returns a header that parsed, typed as declared', () => {
    const m = parseMessage(msg('Contact: <sip:a@127.0.0.2>', 'Authorization: Digest username="a"', 'Refer-To: <sip:@x>'));
    const contacts: NameAddr[] | undefined = parsedHeader(m, 'contact');
    expect(contacts?.[0]?.uri).toBe('sip:a@127.0.0.2');
    expect(parsedHeader(m, 'authorization')?.[0]?.username).toBe('"a"');
    expect(parsedHeader(m, 'refer-to')).toBeUndefined();
    expect(m.headers['refer-to']).toBe('<sip:@x>');
    expect(parsedHeader(m, 'path')).toBeUndefined(); // absent
  });

  it('a second Refer-To is a fault of refer-to, keeping both values as text', () => {
    const m = parseMessage(msg('Refer-To: <sip:a@127.0.0.2>', 'Refer-To: <sip:b@127.0.0.2>'));
    expect(m.headers['refer-to']).toBe('<sip:a@127.0.0.2>,<sip:b@127.0.0.2>');
    expect(headerFaults(m)[0]?.error.code).toBe('duplicate-header');
  });

  it('repeated Contact lines are gathered into one list on first read', () => {
    const m = parseMessage(msg('Contact: <sip:a@127.0.0.2>', 'Subject: x', 'Contact: <sip:b@127.0.0.3>;q=0.1'));
    expect(Object.keys(m.headers)).toEqual(['via', 'cseq', 'contact', 'subject']);
    expect(m.headers.contact).toEqual([
      { name: undefined, uri: 'sip:a@127.0.0.2', params: {} },
      { name: undefined, uri: 'sip:b@127.0.0.3', params: { q: '0.1' } },
    ]);
  });

  it('a fault on a later line of a header parsed up front defers the whole header, in its place', () => {
    const m = parseMessage(msg('Contact: <sip:a@127.0.0.2>', 'Subject: x', 'Contact: <sip:b@>', 'Contact: <sip:c@127.0.0.4>'));
    expect(Object.keys(m.headers)).toEqual(['via', 'cseq', 'contact', 'subject']);
    expect(Object.getOwnPropertyDescriptor(m.headers, 'contact')?.get).toBeTypeOf('function');
    expect(m.headers.contact).toBe('<sip:a@127.0.0.2>,<sip:b@>,<sip:c@127.0.0.4>');
    expect(headerFaults(m).map((f) => [f.header, f.error.code])).toEqual([['contact', 'invalid-uri']]);
    // Still unread when written: its lines go out as they came (grouped under the header's first place).
    expect(stringifyMessage(parseMessage(msg('Contact: <sip:a@127.0.0.2>', 'Contact: <sip:b@>')))).toContain('Contact: <sip:a@127.0.0.2>\r\nContact: <sip:b@>\r\n');
  });

  it('each parse keeps only its own lazy lines: a smaller message after a larger one reads its own values', () => {
    const big = parseMessage(msg(
      'Contact: <sip:a@>', 'Authorization: Digest username="a1"', 'Authorization: Digest username="a2"',
      'Contact: <sip:b@127.0.0.3>', 'Authorization: Digest username="a3"', 'Path: <sip:@p>',
    ));
    const small = parseMessage(msg('Authorization: Digest username="s1"', 'Contact: <sip:s@>'));
    expect(small.headers.contact).toBe('<sip:s@>');
    expect(parsedHeader(small, 'authorization')?.map((a) => a.username)).toEqual(['"s1"']);
    expect(headerFaults(small).map((f) => f.header)).toEqual(['contact']);
    // The larger message, read after the smaller one was parsed, still reads its own lines.
    expect(big.headers.contact).toBe('<sip:a@>,<sip:b@127.0.0.3>');
    expect(parsedHeader(big, 'authorization')?.map((a) => a.username)).toEqual(['"a1"', '"a2"', '"a3"']);
    expect(big.headers.path).toBe('<sip:@p>');
    expect(headerFaults(big).map((f) => f.header).sort()).toEqual(['contact', 'path']);
  });

  it('a Contact that parses is an ordinary data property; the authentication headers wait for their first read', () => {
    const m = parseMessage(msg('Contact: <sip:a@127.0.0.2>', 'Authorization: Digest username="a", realm="b"'));
    expect(Object.getOwnPropertyDescriptor(m.headers, 'contact')).toMatchObject({ writable: true, enumerable: true });
    expect(Object.getOwnPropertyDescriptor(m.headers, 'authorization')?.get).toBeTypeOf('function');
  });

  it('a fault in a header the stack needs still throws, with the strict code and offset', () => {
    for (const line of ['Max-Forwards: 256', 'To: <sip:a@>', 'Call-ID:', 'Route: <sip:@x>', 'Content-Length: x']) {
      const strict = errorOf(() => parseMessage(msg(line), { strict: true }));
      const liberal = errorOf(() => parseMessage(msg(line)));
      expect([liberal.code, liberal.offset]).toEqual([strict.code, strict.offset]);
    }
  });

  it('a message with no faults reports none, and a message built in code reports none', () => {
    expect(headerFaults(parseMessage(msg('Contact: <sip:a@127.0.0.2>')))).toEqual([]);
    expect(headerFaults({ method: 'OPTIONS', uri: 'sip:a@127.0.0.2', headers: {} })).toEqual([]);
  });

  it('a fault offset counts bytes after a UTF-8 display name', () => {
    const text = msg('Subject: Jürgen 日本', 'Contact: <sip:a@>');
    const m = parseMessage(new TextEncoder().encode(text));
    const strict = errorOf(() => parseMessage(new TextEncoder().encode(text), { strict: true }));
    expect(headerFaults(m)[0]?.error.offset).toBe(strict.offset);
  });
});
