/**
 * Splitting a text capture (a paste, a `.sip`/`.txt` file) into SIP messages. Pure: no DOM.
 *
 * The rules, in order, for each message:
 * 1. Lines that are empty or hold only spaces/tabs between messages are skipped (any number of
 *    them, CRLF or LF).
 * 2. The header section ends at the first empty line. When that empty line is a CRLFCRLF (what the
 *    RFC 3261 §18.3 stream framer recognises), the message is cut by `createStreamFramer` from
 *    `@sipts/message`, which reads Content-Length: exactly the framing a TCP peer would apply.
 * 3. A Content-Length that runs past the next message (a blank line followed by a line that looks
 *    like a start line) is not trusted: the message is cut before that line instead, and the
 *    parser then reports `content-length-exceeds-body` for it.
 * 4. Without a usable Content-Length (absent, malformed, or larger than the rest of the capture)
 *    the body runs up to the next blank line or start-line-looking line, or the end of the
 *    capture, as a datagram's body would (RFC 3261 §18.3, §20.14).
 *
 * Browsers hand a textarea's text to scripts with LF line ends, and editors often save captures
 * that way, while SIP needs CRLF (RFC 3261 §7): {@link normalizeLineEnds} turns every bare LF into
 * CRLF before splitting when the user leaves that option on.
 */
import { createStreamFramer, decodeLatin1 } from '@sipts/message';

const CR = 0x0d;
const LF = 0x0a;

/** How a message's end was found. */
export type Framing = 'content-length' | 'blank-line';

/** One message's place in the capture: bytes `[start, end)`. */
export interface Segment {
  start: number;
  end: number;
  framing: Framing;
}

/** The outcome of {@link splitCapture}. */
export interface SplitResult {
  segments: Segment[];
  /** True when the capture held more than `maxMessages` messages and the rest was not split. */
  truncated: boolean;
}

/** Options of {@link splitCapture}. */
export interface SplitOptions {
  /** Stop after this many messages (the list must stay usable). Default 10,000. */
  maxMessages?: number;
}

/** The default bound on the number of messages split from one capture. */
export const MAX_MESSAGES = 10_000;

/**
 * Replaces every LF that is not preceded by CR with CRLF. Returns the input itself when it has no
 * bare LF. Lone CRs are left alone.
 * @example normalizeLineEnds(new TextEncoder().encode('a\nb')).bytes // 'a\r\nb'
 * @see RFC 3261 §7 (CRLF line ends)
 */
export function normalizeLineEnds(bytes: Uint8Array): { bytes: Uint8Array; bareLf: number } {
  let bareLf = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === LF && bytes[i - 1] !== CR) bareLf++;
  if (bareLf === 0) return { bytes, bareLf };
  const out = new Uint8Array(bytes.length + bareLf);
  let j = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0;
    if (c === LF && bytes[i - 1] !== CR) out[j++] = CR;
    out[j++] = c;
  }
  return { bytes: out, bareLf };
}

/** The index just after the line starting at `i` (after its LF), or `n`. */
function lineEnd(bytes: Uint8Array, i: number, n: number): number {
  const lf = bytes.indexOf(LF, i);
  return lf === -1 || lf >= n ? n : lf + 1;
}

/** True when the line `[i, end)` holds nothing but spaces, tabs and its line terminator. */
function isBlankLine(bytes: Uint8Array, i: number, end: number): boolean {
  for (; i < end; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR && c !== LF) return false;
  }
  return true;
}

/** True when the line `[i, end)` is empty: just LF or CRLF. */
function isEmptyLine(bytes: Uint8Array, i: number, end: number): boolean {
  return (end - i === 1 && bytes[i] === LF) || (end - i === 2 && bytes[i] === CR && bytes[i + 1] === LF);
}

const REQUEST_LINE = /^[A-Za-z][A-Za-z0-9.!%*_+`'~-]* [^ \r\n]+ SIP\/\d+\.\d+\r?\n?$/;
const STATUS_LINE = /^SIP\/\d+\.\d+ \d{3}(?: [^\r\n]*)?\r?\n?$/;

/**
 * True when the line `[i, end)` looks like a SIP start line (RFC 3261 §7.1, §7.2). Only used to
 * find where a message without a trustworthy Content-Length ends; the parser decides validity.
 */
export function looksLikeStartLine(bytes: Uint8Array, i: number, end: number): boolean {
  if (end - i > 2048 || end - i < 10) return false;
  const s = decodeLatin1(bytes.subarray(i, end));
  return STATUS_LINE.test(s) || REQUEST_LINE.test(s);
}

/** Skips blank lines from `i`; returns the first byte of a non-blank line, or `n`. */
function skipBlankLines(bytes: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const e = lineEnd(bytes, i, n);
    if (!isBlankLine(bytes, i, e)) return i;
    i = e;
  }
  return n;
}

/** The index just after the first empty line at or after `i` (the body start), or -1. */
function headerSectionEnd(bytes: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const e = lineEnd(bytes, i, n);
    if (isEmptyLine(bytes, i, e)) return e;
    i = e;
  }
  return -1;
}

/**
 * Where a body without a usable Content-Length ends: before the first line in `[from, n)` that is
 * blank or looks like a start line. Returns the end of the last body line.
 */
function bodyEndByLines(bytes: Uint8Array, from: number, n: number): number {
  let i = from;
  while (i < n) {
    const e = lineEnd(bytes, i, n);
    if (isBlankLine(bytes, i, e) || looksLikeStartLine(bytes, i, e)) return i;
    i = e;
  }
  return n;
}

/**
 * A start-line-looking line inside `[from, to)` that follows a blank line: a message the body
 * `[from, to)` swallowed. Returns the end of the last non-blank line before it, or -1.
 */
function overrun(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  let lastContentEnd = from;
  let afterBlank = false;
  while (i < to) {
    const e = lineEnd(bytes, i, to);
    if (isBlankLine(bytes, i, e)) afterBlank = true;
    else {
      if (afterBlank && looksLikeStartLine(bytes, i, e)) return lastContentEnd;
      afterBlank = false;
      lastContentEnd = e;
    }
    i = e;
  }
  return -1;
}

/**
 * Frames the message at `start` (header section `[start, bodyStart)`, ending with CRLFCRLF) with a
 * fresh stream framer, feeding the body a line at a time so that no byte past the message is
 * scanned. Returns the message's end, or -1 when Content-Length is absent, malformed or larger
 * than what the capture holds.
 */
function frameByContentLength(bytes: Uint8Array, start: number, bodyStart: number, n: number): number {
  const framer = createStreamFramer();
  try {
    let frames = framer.push(bytes.subarray(start, bodyStart));
    let i = bodyStart;
    while (frames.length === 0 && i < n) {
      const e = lineEnd(bytes, i, n);
      frames = framer.push(bytes.subarray(i, e));
      i = e;
    }
    const frame = frames[0];
    if (frame === undefined) return -1;
    const end = start + frame.length;
    return end >= bodyStart ? end : -1;
  } catch {
    // Missing or malformed Content-Length, or a limit: fall back to the blank-line rule.
    return -1;
  }
}

/**
 * Splits a capture into its messages' byte ranges (see the module comment for the rules).
 * Linear in the capture size.
 * @example splitCapture(normalizeLineEnds(bytes).bytes).segments.map((s) => bytes.subarray(s.start, s.end))
 * @see RFC 3261 §18.3 (framing), §7.5 (CRLFs between messages)
 */
export function splitCapture(bytes: Uint8Array, options: SplitOptions = {}): SplitResult {
  const max = options.maxMessages ?? MAX_MESSAGES;
  const n = bytes.length;
  const segments: Segment[] = [];
  let pos = skipBlankLines(bytes, 0, n);
  while (pos < n) {
    if (segments.length >= max) return { segments, truncated: true };
    const bodyStart = headerSectionEnd(bytes, pos, n);
    if (bodyStart === -1) {
      // No end of the header section: the rest is one message; the parser says what is missing.
      segments.push({ start: pos, end: n, framing: 'blank-line' });
      break;
    }
    let end = -1;
    let framing: Framing = 'blank-line';
    const crlfEnd = bytes[bodyStart - 2] === CR && bytes[bodyStart - 3] === LF && bytes[bodyStart - 4] === CR;
    if (crlfEnd) {
      end = frameByContentLength(bytes, pos, bodyStart, n);
      if (end !== -1) {
        framing = 'content-length';
        const cut = overrun(bytes, bodyStart, end);
        if (cut !== -1) {
          end = cut;
          framing = 'blank-line';
        }
      }
    }
    if (end === -1) end = bodyEndByLines(bytes, bodyStart, n);
    segments.push({ start: pos, end, framing });
    pos = skipBlankLines(bytes, end, n);
  }
  return { segments, truncated: false };
}
