/**
 * Parse errors: SipParseError codes, byte offsets and statuses; SipError; safeParseMessage and
 * the never-throwing classic parse; parse limits; robustness on random and mutated input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  SipError,
  SipParseError,
  createStreamFramer,
  isSipParseError,
  parse,
  parseMessage,
  safeParseMessage,
} from './index.js';
import { bytesOf, parseErrorOf as errorOf } from '../test/helpers.js';

const enc = new TextEncoder();

const START = 'OPTIONS sip:bob@biloxi.com SIP/2.0\r\n';
const VALID =
  'INVITE sip:bob@biloxi.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: Bob <sip:bob@biloxi.com>\r\n' +
  'From: "Alice" <sip:alice@atlanta.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Contact: <sip:alice@pc33.atlanta.com>\r\n' +
  'Authorization: Digest username="alice", realm="atlanta.com", nonce="abc", uri="sip:bob@biloxi.com", response="0123"\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'v=0\n';

/** Cases whose error must point at the faulty byte: `at` is its offset in the input's bytes. */
const OFFSET_CASES: { name: string; input: string | Uint8Array; code: string; at: number }[] = [
  {
    name: 'unsupported version in a request',
    input: 'INVITE sip:bob@biloxi.com SIP/3.0\r\n\r\n',
    code: 'unsupported-version',
    at: 'INVITE sip:bob@biloxi.com '.length,
  },
  { name: 'header name that is not a token', input: START + 'Bad@Name: x\r\n\r\n', code: 'invalid-header-name', at: START.length + 3 },
  { name: 'Max-Forwards above 255', input: START + 'Max-Forwards: 256\r\n\r\n', code: 'invalid-max-forwards', at: START.length + 14 },
  {
    name: 'Via port above 65535',
    input: START + 'Via: SIP/2.0/UDP host.example.com:99999\r\n\r\n',
    code: 'invalid-via',
    at: START.length + 'Via: SIP/2.0/UDP host.example.com:'.length,
  },
  { name: 'Via that is not SIP', input: START + 'Via: SIP/2.0/UDP a, HTTP/1.1/TCP b\r\n\r\n', code: 'invalid-via', at: START.length + 20 },
  { name: 'CSeq without a number', input: START + 'CSeq: abc OPTIONS\r\n\r\n', code: 'invalid-cseq', at: START.length + 6 },
  {
    name: 'Content-Length beyond the body',
    input: START + 'Content-Length: 10\r\n\r\nabc',
    code: 'content-length-exceeds-body',
    at: START.length + 'Content-Length: 10\r\n\r\n'.length,
  },
  { name: 'bare LF in the header section', input: START + 'Subject: a\nX: b\r\n\r\n', code: 'invalid-header-line', at: START.length + 10 },
  { name: 'header line without a colon', input: START + 'Via: SIP/2.0/UDP h\r\nNoColonHere\r\n\r\n', code: 'invalid-header-line', at: START.length + 20 },
  { name: 'no empty line after the headers', input: START + 'Subject: a', code: 'missing-header-end', at: (START + 'Subject: a').length },
  { name: 'method that is not a token', input: '@INVITE sip:bob@biloxi.com SIP/2.0\r\n\r\n', code: 'invalid-method', at: 0 },
  {
    name: 'Request-URI port above 65535',
    input: 'INVITE sip:bob@biloxi.com:99999 SIP/2.0\r\n\r\n',
    code: 'invalid-request-uri',
    at: 'INVITE sip:bob@biloxi.com:'.length,
  },
  { name: 'status code of two digits', input: 'SIP/2.0 99 OK\r\n\r\n', code: 'invalid-status', at: 8 },
  { name: 'unterminated display name', input: START + 'From: "Bob <sip:bob@biloxi.com>\r\n\r\n', code: 'unterminated-quote', at: START.length + 6 },
  {
    name: 'Route with an invalid URI',
    input: START + 'Route: <sip:p1.example.com:99999;lr>\r\n\r\n',
    code: 'invalid-uri',
    at: START.length + 'Route: <sip:p1.example.com:'.length,
  },
  {
    name: 'second Route of a list with an invalid URI',
    input: START + 'Route: <sip:p1.example.com;lr>, <sip:p2.example.com:99999;lr>\r\n\r\n',
    code: 'invalid-uri',
    at: START.length + 'Route: <sip:p1.example.com;lr>, <sip:p2.example.com:'.length,
  },
  {
    name: 'auth parameter without "="',
    input: START + 'Authorization: Digest realm\r\n\r\n',
    code: 'invalid-auth',
    at: START.length + 'Authorization: Digest realm'.length,
  },
  {
    name: 'unterminated quoted auth parameter',
    input: START + 'Authorization: Digest realm="atlanta.com, nonce=abc\r\n\r\n',
    code: 'unterminated-quote',
    at: START.length + 'Authorization: Digest realm='.length,
  },
  {
    name: 'CRLFs before the start line count',
    input: '\r\n\r\n' + START + 'Max-Forwards: x\r\n\r\n',
    code: 'invalid-max-forwards',
    at: 4 + START.length + 14,
  },
  {
    name: 'UTF-8 text before the fault counts in bytes',
    input: START + 'Subject: Grüße aus Köln ☺\r\nMax-Forwards: x\r\n\r\n',
    code: 'invalid-max-forwards',
    at: enc.encode(START + 'Subject: Grüße aus Köln ☺\r\nMax-Forwards: ').length,
  },
  {
    name: 'UTF-8 text earlier on the same line counts in bytes',
    input: enc.encode(START + 'From: "Jürgen ☺" <sip:j@example.com>;tag=\r\n\r\n'),
    code: 'invalid-name-addr',
    at: enc.encode(START + 'From: "Jürgen ☺" <sip:j@example.com>;tag=').length,
  },
  {
    name: 'bytes that are not UTF-8 before the fault count one each',
    input: bytesOf(START, 'Subject: caf', [0xe9, 0xff], '\r\nMax-Forwards: x\r\n\r\n'),
    code: 'invalid-max-forwards',
    at: START.length + 'Subject: caf'.length + 2 + '\r\nMax-Forwards: '.length,
  },
  {
    name: 'a folded value is blamed on its first byte',
    input: START + 'Subject: ok\r\nMax-Forwards: 2\r\n 56\r\n\r\n',
    code: 'invalid-max-forwards',
    at: START.length + 'Subject: ok\r\nMax-Forwards: '.length,
  },
];

describe('SipParseError offsets point at the faulty byte', () => {
  it.each(OFFSET_CASES)('$name', ({ input, code, at }) => {
    const e = errorOf(input);
    expect(e.code).toBe(code);
    expect(e.offset).toBe(at);
    expect(e.message).toContain(`(at byte ${String(at)})`);
  });

  it.each(OFFSET_CASES)('$name: the same error from bytes and from a string', ({ input, code, at }) => {
    const bytes = typeof input === 'string' ? enc.encode(input) : input;
    const e = errorOf(bytes);
    expect([e.code, e.offset]).toEqual([code, at]);
  });
});

describe('SipParseError status', () => {
  it('answers a bad version in a request with 505 Version Not Supported (RFC 3261 §21.5.6)', () => {
    for (const version of ['SIP/3.0', 'SIP/1.0', 'SIP/2.1']) {
      const e = errorOf(`INVITE sip:bob@biloxi.com ${version}\r\nCSeq: 1 INVITE\r\n\r\n`);
      expect(e.code).toBe('unsupported-version');
      expect(e.status).toBe(505);
    }
  });

  it('reports a bad version in a status line as unsupported-version too', () => {
    const e = errorOf('SIP/3.0 200 OK\r\n\r\n');
    expect(e.code).toBe('unsupported-version');
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThan(7);
  });

  it.each([
    [START + 'Max-Forwards: x\r\n\r\n'],
    [START + 'CSeq: 1 INVITE\r\n\r\n'],
    ['garbage\r\n\r\n'],
    ['INVITE sip:bob@biloxi.com HTTP/1.1\r\n\r\n'],
  ])('answers other faults with 400: %j', (input) => {
    expect(errorOf(input).status).toBe(400);
  });
});

describe('error classes', () => {
  it('SipParseError is a SipError and an Error', () => {
    const e = errorOf('garbage');
    expect(e).toBeInstanceOf(SipParseError);
    expect(e).toBeInstanceOf(SipError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SipParseError');
    expect(isSipParseError(e)).toBe(true);
    expect(typeof e.stack).toBe('string');
  });

  it('isSipParseError is false for anything else', () => {
    expect(isSipParseError(new Error('x'))).toBe(false);
    expect(isSipParseError(new SipError('limit-exceeded', 'x'))).toBe(false);
    expect(isSipParseError({ code: 'invalid-uri', offset: 0 })).toBe(false);
    expect(isSipParseError(undefined)).toBe(false);
  });

  it('SipError carries its code, status and cause', () => {
    const cause = new Error('socket closed');
    const e = new SipError('limit-exceeded', 'too many transactions', { status: 503, cause });
    expect([e.name, e.code, e.status, e.message, e.cause]).toEqual(['SipError', 'limit-exceeded', 503, 'too many transactions', cause]);
    const plain = new SipError('invalid-argument', 'bad');
    expect(plain.status).toBeUndefined();
    expect(plain.cause).toBeUndefined();
  });

  it('SipParseError defaults its status to 400', () => {
    const e = new SipParseError('invalid-uri', 'bad uri', 7);
    expect([e.code, e.offset, e.status, e.message]).toEqual(['invalid-uri', 7, 400, 'bad uri (at byte 7)']);
    expect(new SipParseError('unsupported-version', 'v', 0, 505).status).toBe(505);
  });
});

describe('safeParseMessage and parse', () => {
  it('safeParseMessage returns the message on success', () => {
    const r = safeParseMessage(VALID);
    expect(r.ok).toBe(true);
    expect(r.ok ? r.message : undefined).toStrictEqual(parseMessage(VALID));
  });

  it.each(OFFSET_CASES)('safeParseMessage returns the error parseMessage throws: $name', ({ input }) => {
    const thrown = errorOf(input);
    const r = safeParseMessage(input, { strict: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(SipParseError);
    expect([r.error.code, r.error.offset, r.error.status]).toEqual([thrown.code, thrown.offset, thrown.status]);
  });

  it('parse returns the message, or undefined for any invalid input', () => {
    expect(parse(VALID)).toStrictEqual(parseMessage(VALID));
    // parse is liberal: a fault in a header parsed on demand (Authorization) leaves the message deliverable.
    for (const c of OFFSET_CASES) {
      if (typeof c.input === 'string' && c.input.includes('Authorization:')) expect(parse(c.input)?.headers.authorization, c.name).toBeTypeOf('string');
      else expect(parse(c.input), c.name).toBeUndefined();
    }
    for (const input of ['', '\r\n', '\r\n\r\n', 'SIP/2.0', 'SIP/2.0 200 OK', '\u0000\u0001\u0002', 'INVITE', ' \r\n\r\n']) {
      expect(parse(input), JSON.stringify(input)).toBeUndefined();
    }
  });

  it.each([[''], ['\r\n\r\n']])('%j is an empty-message', (input) => {
    expect(errorOf(input).code).toBe('empty-message');
  });
});

describe('parse limits', () => {
  it('has safe defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxHeaderBytes: 65_536, maxHeaderCount: 256, maxBodyBytes: 4 * 1024 * 1024 });
  });

  it('rejects more headers than maxHeaderCount', () => {
    const input = START + 'A-1: x\r\nA-2: x\r\nA-3: x\r\n\r\n';
    expect(parseMessage(input, { maxHeaderCount: 3 }).headers['a-3']).toBe('x');
    expect(errorOf(input, { maxHeaderCount: 2 }).code).toBe('too-many-headers');
  });

  it("applies each parse's own options: a limit given once does not stay for the next parse", () => {
    const input = START + 'A-1: x\r\nA-2: x\r\nA-3: x\r\n\r\n' + 'body';
    const options = { maxHeaderCount: 2, maxBodyBytes: 2 };
    expect(errorOf(input, options).code).toBe('too-many-headers');
    expect(parseMessage(input, { maxBodyBytes: 8 }).content).toBe('body');
    expect(errorOf(input, { maxHeaderBytes: 16 }).code).toBe('header-too-large');
    expect(parseMessage(input, {}).headers['a-3']).toBe('x');
    expect(options).toEqual({ maxHeaderCount: 2, maxBodyBytes: 2 });
    expect(DEFAULT_LIMITS).toEqual({ maxHeaderBytes: 65_536, maxHeaderCount: 256, maxBodyBytes: 4 * 1024 * 1024 });
  });

  it('rejects the default maximum plus one headers', () => {
    const lines = Array.from({ length: DEFAULT_LIMITS.maxHeaderCount + 1 }, (_, i) => `X-H${String(i)}: v\r\n`).join('');
    expect(errorOf(START + lines + '\r\n').code).toBe('too-many-headers');
  });

  it.each([
    ['many short header lines', START + Array.from({ length: 20 }, (_, i) => `X-H${String(i)}: abcdefgh\r\n`).join('') + '\r\n'],
    ['one long last header line', START + 'Subject: ' + 'a'.repeat(300) + '\r\n\r\n'],
    ['one long header line before others', START + 'Subject: ' + 'a'.repeat(300) + '\r\nX-A: b\r\n\r\n'],
    ['a long line with non-ASCII text', START + 'Subject: ' + 'ü'.repeat(150) + '\r\n\r\n'],
    ['a long Request-URI and no headers', 'OPTIONS sip:' + 'a'.repeat(300) + '@biloxi.com SIP/2.0\r\n\r\n'],
  ])('rejects a header section over maxHeaderBytes: %s', (_name, input) => {
    expect(errorOf(input, { maxHeaderBytes: 128 }).code).toBe('header-too-large');
    expect(parseMessage(input, { maxHeaderBytes: 4096 }).method).toBe('OPTIONS');
  });

  it('rejects a body over maxBodyBytes, with or without Content-Length', () => {
    expect(errorOf(START + 'Content-Length: 11\r\n\r\n' + 'a'.repeat(11), { maxBodyBytes: 10 }).code).toBe('body-too-large');
    expect(errorOf(START + '\r\n' + 'a'.repeat(11), { maxBodyBytes: 10 }).code).toBe('body-too-large');
    expect(parseMessage(START + 'Content-Length: 10\r\n\r\n' + 'a'.repeat(10), { maxBodyBytes: 10 }).content).toBe('a'.repeat(10));
  });
});

describe('robustness: hostile input only ever produces SipParseError', () => {
  const valid = enc.encode(VALID);

  function onlyParseErrors(bytes: Uint8Array): boolean {
    try {
      parseMessage(bytes);
    } catch (e) {
      if (!(e instanceof SipParseError)) return false;
      if (!(e.offset >= 0 && e.offset <= bytes.length)) return false;
    }
    return parse(bytes) !== null && safeParseMessage(bytes).ok === (parse(bytes) !== undefined);
  }

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyParseErrors), { numRuns: 300, seed: 3261 });
  });

  it('random text built from SIP punctuation', () => {
    const piece = fc.constantFrom('\r\n', ' ', ':', ';', ',', '"', '\\', '<', '>', '=', '@', '[', ']', 'SIP/2.0', 'Via', 'sip:', 'ü', 'a', '1', '\t');
    const text = fc.array(piece, { maxLength: 80 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, (t) => onlyParseErrors(enc.encode(START + t)) && onlyParseErrors(enc.encode(START + t + '\r\n\r\n'))),
      { numRuns: 300, seed: 3261 },
    );
  });

  it('a valid message with bytes replaced, inserted or deleted', () => {
    const mutation = fc.record({
      at: fc.nat({ max: valid.length - 1 }),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('replace', 'insert', 'delete'),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let bytes: Uint8Array = valid.slice();
        for (const { at, byte, kind } of mutations) {
          const i = Math.min(at, bytes.length - 1);
          if (kind === 'replace') bytes[i] = byte;
          else if (kind === 'insert') bytes = bytesOf(Array.from(bytes.subarray(0, i)), [byte], Array.from(bytes.subarray(i)));
          else bytes = bytesOf(Array.from(bytes.subarray(0, i)), Array.from(bytes.subarray(i + 1)));
        }
        return onlyParseErrors(bytes);
      }),
      { numRuns: 500, seed: 3261 },
    );
  });

  it('the stream framer on random chunks of random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const framer = createStreamFramer({ maxHeaderBytes: 256, maxBodyBytes: 256 });
        try {
          for (const c of chunks) framer.push(c);
        } catch (e) {
          return e instanceof SipParseError;
        }
        return framer.buffered >= 0;
      }),
      { numRuns: 300, seed: 3261 },
    );
  });
});
