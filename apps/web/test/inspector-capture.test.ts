/**
 * The inspector's capture splitter and parse pipeline (src/inspector/capture.ts, inspect.ts): pure
 * logic, run in Node.
 */
import { parseMessage, serializeMessage } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { looksLikeStartLine, normalizeLineEnds, splitCapture } from '../src/inspector/capture.js';
import { inspectCapture, lineAndColumn, summarize } from '../src/inspector/inspect.js';
import { EXAMPLE_CAPTURE, EXAMPLE_INVITE } from '../src/inspector/samples.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function msg(method: string, n: number, body = '', withLength = true): string {
  const lines = [
    `${method} sip:bob@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK${n}`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=${n}`,
    'To: <sip:bob@example.com>',
    `Call-ID: call-${n}`,
    `CSeq: ${n} ${method}`,
  ];
  if (withLength) lines.push(`Content-Length: ${enc(body).length}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/** The texts of the messages split from `capture`. */
function pieces(capture: string | Uint8Array): string[] {
  const bytes = typeof capture === 'string' ? enc(capture) : capture;
  return splitCapture(bytes).segments.map((s) => dec(bytes.subarray(s.start, s.end)));
}

describe('normalizeLineEnds', () => {
  it('turns bare LF into CRLF and leaves CRLF and lone CR alone', () => {
    const r = normalizeLineEnds(enc('a\nb\r\nc\rd\n'));
    expect(dec(r.bytes)).toBe('a\r\nb\r\nc\rd\r\n');
    expect(r.bareLf).toBe(2);
  });

  it('returns the input itself when there is nothing to change', () => {
    const input = enc('a\r\nb\r\n');
    expect(normalizeLineEnds(input).bytes).toBe(input);
  });
});

describe('splitCapture', () => {
  it('cuts messages with Content-Length where the stream framer does, bodies with blank lines included', () => {
    const body = 'line one\r\n\r\nline three after a blank line\r\n';
    const a = msg('MESSAGE', 1, body);
    const b = msg('OPTIONS', 2);
    const split = splitCapture(enc(a + b));
    expect(split.segments.map((s) => s.framing)).toEqual(['content-length', 'content-length']);
    expect(pieces(a + b)).toEqual([a, b]);
  });

  it('skips any number of blank and whitespace-only lines between messages, CRLF or LF', () => {
    const a = msg('OPTIONS', 1);
    const b = msg('OPTIONS', 2);
    expect(pieces(`\r\n\n  \r\n${a}\r\n\r\n\t \n\n${b}\r\n\r\n`)).toEqual([a, b]);
  });

  it('ends a message without Content-Length at the next blank line, keeping its body', () => {
    const sdp = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n';
    const a = msg('INVITE', 1, sdp, false);
    const b = msg('BYE', 2, '', false);
    const got = pieces(`${a}\r\n${b}`);
    expect(got).toEqual([a, b]);
    expect(splitCapture(enc(`${a}\r\n${b}`)).segments.map((s) => s.framing)).toEqual(['blank-line', 'blank-line']);
    // Each piece parses as a datagram: the body runs to its end.
    expect(parseMessage(enc(got[0]!)).content).toBe(sdp);
  });

  it('starts a new message right after a header section when a start line follows it directly', () => {
    const a = msg('ACK', 1, '', false);
    const b = msg('BYE', 2, '', false);
    expect(pieces(a + b)).toEqual([a, b]);
  });

  it('does not let a Content-Length that is too large swallow the next message', () => {
    const a = msg('MESSAGE', 1, 'hi\r\n').replace('Content-Length: 4', 'Content-Length: 400');
    const b = msg('OPTIONS', 2);
    const got = pieces(`${a}\r\n${b}`);
    expect(got).toEqual([a, b]);
    // The parser then reports the overrun for the first message.
    const inspection = inspectCapture(enc(`${a}\r\n${b}`));
    const first = inspection.messages[0]!.result;
    expect(first.ok ? undefined : first.error.code).toBe('content-length-exceeds-body');
    expect(inspection.messages[1]!.result.ok).toBe(true);
  });

  it('keeps a message whose header section never ends as one piece, for the parser to report', () => {
    const a = msg('OPTIONS', 1);
    const broken = 'OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n';
    expect(pieces(a + broken)).toEqual([a, broken]);
  });

  it('splits LF-only captures once line ends are normalized', () => {
    const a = msg('OPTIONS', 1).replaceAll('\r\n', '\n');
    const b = msg('OPTIONS', 2).replaceAll('\r\n', '\n');
    const bytes = normalizeLineEnds(enc(`${a}\n\n${b}`)).bytes;
    expect(pieces(bytes)).toEqual([msg('OPTIONS', 1), msg('OPTIONS', 2)]);
  });

  it('stops at maxMessages and says so', () => {
    const capture = Array.from({ length: 5 }, (_, i) => msg('OPTIONS', i)).join('');
    const split = splitCapture(enc(capture), { maxMessages: 3 });
    expect(split.segments).toHaveLength(3);
    expect(split.truncated).toBe(true);
    expect(splitCapture(enc(capture)).truncated).toBe(false);
  });

  it('returns nothing for an empty or blank capture', () => {
    expect(splitCapture(enc('')).segments).toEqual([]);
    expect(splitCapture(enc('\r\n  \n\r\n')).segments).toEqual([]);
  });

  it('splits the example capture into the INVITE, the 180 and the 200', () => {
    const got = pieces(EXAMPLE_CAPTURE);
    expect(got).toHaveLength(3);
    expect(got[0]).toBe(EXAMPLE_INVITE);
    expect(got.map((p) => p.slice(0, p.indexOf('\r\n')))).toEqual(['INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
  });

  it('is linear enough for a 2,000-message capture (every message split, none lost)', () => {
    const all = Array.from({ length: 2000 }, (_, i) => msg(i % 2 === 0 ? 'OPTIONS' : 'MESSAGE', i, i % 2 === 0 ? '' : `body ${i}\r\n`));
    expect(pieces(all.join('\r\n'))).toEqual(all);
  });
});

describe('looksLikeStartLine', () => {
  it.each([
    ['INVITE sip:bob@example.com SIP/2.0\r\n', true],
    ['SIP/2.0 200 OK\r\n', true],
    ['SIP/2.0 100\r\n', true],
    ['v=0\r\n', false],
    ['a=rtpmap:0 PCMU/8000\r\n', false],
    ['Via: SIP/2.0/UDP host\r\n', false],
  ])('%j → %s', (line, expected) => {
    const b = enc(line);
    expect(looksLikeStartLine(b, 0, b.length)).toBe(expected);
  });
});

describe('inspectCapture', () => {
  it('parses each message and counts the invalid ones', () => {
    const bad = msg('OPTIONS', 2).replace('Via: SIP/2.0/UDP 192.0.2.1', 'Via: SIP/2.0/UDP ');
    const r = inspectCapture(enc([msg('OPTIONS', 1), bad, msg('BYE', 3)].join('\r\n')));
    expect(r.messages.map((m) => m.result.ok)).toEqual([true, false, true]);
    expect(r.invalid).toBe(1);
    expect(r.messages.map((m) => m.index)).toEqual([0, 1, 2]);
  });

  it('reports the error offset within the message, as parseMessage does on the same bytes', () => {
    const bad = msg('OPTIONS', 2).replace('CSeq: 2 OPTIONS', 'CSeq: two OPTIONS');
    const r = inspectCapture(enc(msg('OPTIONS', 1) + '\r\n\r\n' + bad));
    const m = r.messages[1]!;
    expect(dec(m.bytes)).toBe(bad);
    let expected = -1;
    try {
      parseMessage(enc(bad));
    } catch (e) {
      expected = (e as { offset: number }).offset;
    }
    expect(m.result.ok ? -1 : m.result.error.offset).toBe(expected);
    expect(m.start).toBe(enc(msg('OPTIONS', 1)).length + 4);
  });

  it('reads LF line ends as CRLF unless told not to', () => {
    const lf = msg('OPTIONS', 1).replaceAll('\r\n', '\n');
    const on = inspectCapture(enc(lf));
    expect(on.bareLf).toBe(9);
    expect(on.messages[0]!.result.ok).toBe(true);
    const off = inspectCapture(enc(lf), { normalizeLineEnds: false });
    expect(off.bareLf).toBe(0);
    expect(off.messages[0]!.result.ok).toBe(false);
  });

  it('round-trips through the serializer for the example INVITE', () => {
    const r = inspectCapture(enc(EXAMPLE_INVITE)).messages[0]!.result;
    expect(r.ok).toBe(true);
    if (r.ok) expect(dec(serializeMessage(r.message))).toBe(dec(serializeMessage(parseMessage(EXAMPLE_INVITE))));
  });
});

describe('summarize and lineAndColumn', () => {
  it('summarizes requests, responses and errors', () => {
    const rq = inspectCapture(enc(msg('INVITE', 5))).messages[0]!;
    expect(rq.summary).toEqual({ title: 'INVITE sip:bob@example.com', detail: 'CSeq 5 INVITE · Call-ID call-5' });
    const rs = inspectCapture(enc(EXAMPLE_CAPTURE)).messages[1]!;
    expect(rs.summary.title).toBe('180 Ringing');
    const bad = enc('HELLO\r\n\r\n');
    const r = inspectCapture(bad).messages[0]!;
    expect(r.summary.title).toMatch(/^Invalid: /);
    expect(summarize(r.result, bad).detail).toMatch(/^byte \d+ \(line 1, column \d+\)$/);
  });

  it('counts lines from 1 and columns in characters', () => {
    const b = enc('ab\r\ncé\r\nx');
    expect(lineAndColumn(b, 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn(b, 4)).toEqual({ line: 2, column: 1 });
    expect(lineAndColumn(b, 7)).toEqual({ line: 2, column: 3 }); // after the two-byte é
    expect(lineAndColumn(b, 9)).toEqual({ line: 3, column: 1 });
  });
});
