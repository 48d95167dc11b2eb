/**
 * A capture in, a list of parsed (or failed) messages out: line ends, splitting, parsing and the
 * one-line summary each list entry shows. Pure: no DOM.
 */
import { safeParseMessage, stringifyUri, type ParseResult, type SipParseError } from '@sipts/message';
import { normalizeLineEnds, splitCapture, type Framing } from './capture.js';

/** What the list shows for one message. */
export interface Summary {
  /** `INVITE sip:bob@example.com`, `180 Ringing`, or the error code. */
  title: string;
  /** `CSeq 1 INVITE · Call-ID a84b4c76e66710`, or where the error is. */
  detail: string;
}

/** One message of a capture, parsed or not. */
export interface InspectedMessage {
  /** Position in the capture, from 0. */
  index: number;
  /** Byte offsets of the message in the (line-end normalized) capture. */
  start: number;
  end: number;
  /** The message's bytes exactly as given to the parser. */
  bytes: Uint8Array;
  framing: Framing;
  result: ParseResult;
  summary: Summary;
  /** Where a message read from a pcap/pcapng capture was seen. */
  origin?: MessageOrigin;
}

/** Where and when a captured message was seen. */
export interface MessageOrigin {
  frame: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  src: string;
  dst: string;
  transport: string;
  retransmission: boolean;
}

/**
 * A time as `2026-12-05 12:00:00.123456 UTC` (microseconds shown when the time has them).
 * @example formatTime(Date.UTC(2026, 11, 5, 12)) // '2026-12-05 12:00:00.000000 UTC'
 */
export function formatTime(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString();
  const micros = String(Math.round((ms - whole) * 1000)).padStart(3, '0').slice(0, 3);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros} UTC`;
}

/** The outcome of {@link inspectCapture}. */
export interface Inspection {
  messages: InspectedMessage[];
  /** Bare LFs turned into CRLF before parsing (0 when the option is off). */
  bareLf: number;
  /** The capture held more messages than are listed. */
  truncated: boolean;
  /** Messages that failed to parse. */
  invalid: number;
}

/** Options of {@link inspectCapture}. */
export interface InspectOptions {
  /** Turn bare LF into CRLF first (default true): see {@link normalizeLineEnds}. */
  normalizeLineEnds?: boolean;
  /** Bound on the messages split from the capture. */
  maxMessages?: number;
}

const MAX_TITLE = 120;

function clip(s: string, max = MAX_TITLE): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Line and column (both from 1, column in characters) of byte `offset` of `bytes`. */
export function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, bytes.length);
  for (let i = 0; i < end; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = new TextDecoder().decode(bytes.subarray(lineStart, end)).length + 1;
  return { line, column };
}

/** The one-line summary of a parse result. */
export function summarize(result: ParseResult, bytes: Uint8Array): Summary {
  if (!result.ok) return errorSummary(result.error, bytes);
  const m = result.message;
  const h = m.headers;
  const parts: string[] = [];
  if (h.cseq !== undefined) parts.push(`CSeq ${h.cseq.seq} ${h.cseq.method}`);
  if (h['call-id'] !== undefined) parts.push(`Call-ID ${clip(h['call-id'], 40)}`);
  const detail = parts.join(' · ');
  if (m.method !== undefined) return { title: clip(`${m.method} ${stringifyUri(m.uri)}`), detail };
  return { title: clip(`${m.status} ${m.reason ?? ''}`.trimEnd()), detail };
}

function errorSummary(error: SipParseError, bytes: Uint8Array): Summary {
  const { line, column } = lineAndColumn(bytes, error.offset);
  return { title: `Invalid: ${error.code}`, detail: `byte ${error.offset} (line ${line}, column ${column})` };
}

/**
 * Splits a capture and parses every message with `safeParseMessage` (datagram framing: each
 * message was already cut out of the capture).
 * @example inspectCapture(new TextEncoder().encode(textarea.value)).messages[0]?.result.ok
 */
export function inspectCapture(input: Uint8Array, options: InspectOptions = {}): Inspection {
  const { bytes, bareLf } = options.normalizeLineEnds === false ? { bytes: input, bareLf: 0 } : normalizeLineEnds(input);
  const split = splitCapture(bytes, options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages });
  let invalid = 0;
  const messages = split.segments.map((seg, index): InspectedMessage => {
    const own = bytes.slice(seg.start, seg.end);
    const result = safeParseMessage(own);
    if (!result.ok) invalid++;
    return { index, start: seg.start, end: seg.end, bytes: own, framing: seg.framing, result, summary: summarize(result, own) };
  });
  return { messages, bareLf, truncated: split.truncated, invalid };
}
