/**
 * Property tests: round trips of generated messages, and hostile input that may only ever yield
 * a message or a SipParseError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError, createStreamFramer, parseMessage, serializeMessage, type SipMessage } from '../src/index.js';
import { request, response } from './arbitraries.js';
import { readFixture } from './read-fixture.js';

const encoder = new TextEncoder();

function byteLength(content: SipMessage['content']): number {
  if (content === undefined) return 0;
  return typeof content === 'string' ? encoder.encode(content).length : content.length;
}

/** The message as the parser returns it: Content-Length added. */
function normalized(m: SipMessage): SipMessage {
  return { ...m, headers: { ...m.headers, 'content-length': byteLength(m.content) } };
}

/** Parses, allowing only a message or a SipParseError. Returns what happened. */
function outcome(bytes: Uint8Array): 'message' | 'error' {
  try {
    parseMessage(bytes);
    return 'message';
  } catch (e) {
    if (e instanceof SipParseError) return 'error';
    throw e;
  }
}

const corpusNames = [
  'rfc4475/wsinv.sip', 'rfc4475/intmeth.sip', 'rfc4475/esc01.sip', 'rfc4475/escnull.sip', 'rfc4475/longreq.sip',
  'rfc4475/mpart01.sip', 'rfc4475/unreason.sip', 'rfc4475/transports.sip', 'rfc4475/inv2543.sip',
  'rfc4475/badinv01.sip', 'rfc4475/quotbal.sip', 'rfc4475/regaut01.sip', 'rfc5118/ipv6-good.sip',
  'rfc5118/ipv4-mapped-ipv6.sip', 'rfc5118/mult-ip-in-header.sip',
];
const corpus = await Promise.all(corpusNames.map((n) => readFixture(`torture/${n}`)));

describe('round trip', () => {
  it('parse(serialize(request)) equals the request', () => {
    fc.assert(
      fc.property(request, (m) => {
        expect(parseMessage(serializeMessage(m))).toEqual(normalized(m));
      }),
      { numRuns: 300 },
    );
  });

  it('parse(serialize(response)) equals the response', () => {
    fc.assert(
      fc.property(response, (m) => {
        expect(parseMessage(serializeMessage(m))).toEqual(normalized(m));
      }),
      { numRuns: 300 },
    );
  });

  it('a stream of serialized messages, cut anywhere, frames back into the same messages', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (ms, cuts) => {
        const wire = ms.map(serializeMessage);
        const all = new Uint8Array(wire.reduce((n, w) => n + w.length + 2, 0));
        let at = 0;
        for (const w of wire) {
          all.set([13, 10], at); // a keep-alive CRLF before each message
          all.set(w, at + 2);
          at += w.length + 2;
        }
        const framer = createStreamFramer();
        const frames: Uint8Array[] = [];
        let pos = 0;
        for (let k = 0; pos < all.length; k++) {
          const step = cuts[k % cuts.length] ?? 1;
          frames.push(...framer.push(all.subarray(pos, pos + step)));
          pos += step;
        }
        expect(frames).toEqual(wire);
        expect(framer.buffered).toBe(0);
        expect(frames.map((f) => parseMessage(f, { framing: 'stream' }))).toEqual(ms.map(normalized));
      }),
      { numRuns: 100 },
    );
  });
});

describe('hostile input only ever yields a message or a SipParseError', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        outcome(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('random SIP-looking text', () => {
    const piece = fc.constantFrom('INVITE ', 'SIP/2.0', ' 200 OK', '\r\n', ':', ';', ',', '<', '>', '"', '\\', 'sip:', '@', '[', ']', 'Via: ', 'v:', 'l: 5', 'Content-Length: 99', 'CSeq: 1 INVITE', ' ', '\t', '=', 'z9hG4bK', '\r\n\r\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        outcome(encoder.encode(parts.join('')));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutations of corpus messages: truncations, flipped, inserted and deleted bytes', () => {
    const mutation = fc.record({
      file: fc.nat(corpus.length - 1),
      edits: fc.array(
        fc.record({ kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'), at: fc.nat(), byte: fc.nat(255) }),
        { minLength: 1, maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ file, edits }) => {
        let bytes = Array.from(corpus[file] ?? []);
        for (const e of edits) {
          const at = bytes.length === 0 ? 0 : e.at % bytes.length;
          if (e.kind === 'flip') bytes[at] = e.byte;
          else if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.kind === 'delete') bytes.splice(at, 1);
          else bytes = bytes.slice(0, at);
        }
        outcome(Uint8Array.from(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('10,000 headers are refused by the header-count limit, and parse when the limit allows', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `X-H${String(i)}: v`).join('\r\n');
    const text = `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n${lines}\r\nContent-Length: 0\r\n\r\n`;
    let error: unknown;
    try {
      parseMessage(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect((error as SipParseError).code).toBe('too-many-headers');
    const m = parseMessage(text, { maxHeaderCount: 20_000, maxHeaderBytes: 1 << 20 });
    expect(m.headers['x-h9999']).toBe('v');
  });

  it('a 1 MB header line is refused by the header-size limit, and parses when the limit allows', () => {
    const big = 'a'.repeat(1 << 20);
    const text = `OPTIONS sip:a@b SIP/2.0\r\nSubject: ${big}\r\nContent-Length: 0\r\n\r\n`;
    let error: unknown;
    try {
      parseMessage(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect((error as SipParseError).code).toBe('header-too-large');
    expect(parseMessage(text, { maxHeaderBytes: 2 << 20 }).headers.subject).toHaveLength(1 << 20);
  });

  it('a 1 MB line without any line end is refused, also by the stream framer', () => {
    const bytes = new Uint8Array(1 << 20).fill(0x61);
    expect(outcome(bytes)).toBe('error');
    const framer = createStreamFramer();
    expect(() => framer.push(bytes)).toThrow(SipParseError);
  });
});
