/**
 * The message parser (RFC 3261 §7, §25): bytes in, the classic object model out.
 *
 * One pass: find the end of the header section, decode it once, split lines with `indexOf`,
 * and parse the headers routing and transactions need with hand-written scanners.
 */
import { addHeaderOf, addTextHeader, addValueOf, fail, type StructuredKind, type ValueKind } from './add-header.js';
import { TOKEN, skipWspCodes, trimEndCodes } from './chars.js';
import { SipParseError } from './errors.js';
import { headerKey } from './header-names.js';
import { knownHeaderAt } from './known-headers.js';
import { Kind } from './header-kinds.js';
import { addFault, deferHeader, isDeferred } from './lazy-headers.js';
import { attachRaw, beginLines, byteOffsetIn, endLines, recordLine, setRescan, unfold, type RawHeaders } from './raw-headers.js';
import { parseStartLine } from './start-line.js';
import { isSipDate } from './header-values.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
import { copyBytes } from './byte-pool.js';
import { beginFolded, beginScan, codesFor, codesOf, endFolded, endScan } from './scan-source.js';
import { bytesOfInput, decodeLatin1, decodeUtf8OrUndefined, encodeUtf8, isAscii } from './text.js';
import type { Content, Headers, Parsed, SipMessage, SipRequest, SipResponse } from './types.js';
import { PlainHeaders } from './plain.js';

/** Options of {@link parseMessage}. */
export interface ParseOptions extends ParseLimits {
  /**
   * `datagram` (UDP, WebSocket messages, files; the default): the input is one whole message,
   * a missing Content-Length means the body runs to the end, and bytes after the body are
   * ignored. `stream` (a frame cut by the stream framer): Content-Length is required.
   */
  framing?: 'datagram' | 'stream';
  /**
   * `false` (the default, liberal): headers the stack needs (Via, From, To, Call-ID, CSeq,
   * Max-Forwards, Content-Length, Route) are parsed now and a fault in them throws; Contact,
   * Record-Route, Path and Refer-To are parsed now too, but a fault in them only defers them;
   * the authentication headers are parsed on first read; a malformed Date or deferred header keeps
   * its text and is reported by `headerFaults` (RFC 4475 §3.1.2.12). `true`: every header is parsed
   * now and the first fault throws.
   */
  strict?: boolean;
}

/** The outcome of {@link safeParseMessage}. */
export type ParseResult = { ok: true; message: Parsed<SipMessage> } | { ok: false; error: SipParseError };

const CR = 0x0d;
const LF = 0x0a;

/** Finds the CRLFCRLF that ends the header section, from `from`; -1 when absent before `limit`. */
function findHeaderEnd(bytes: Uint8Array, from: number, limit: number): number {
  let i = from;
  for (;;) {
    i = bytes.indexOf(LF, i + 1);
    if (i === -1 || i > limit) return -1;
    if (bytes[i - 1] === CR && bytes[i + 1] === CR && bytes[i + 2] === LF) return i - 1;
  }
}

/**
 * Internal: the header section decoded to text, the byte offset of its first character (`base`)
 * and whether characters and bytes line up one to one (`ascii`); `byteOffsetIn` maps offsets back.
 */
type HeaderText = Pick<RawHeaders, 'text' | 'base' | 'ascii'>;

/** The lazy header lines of the current parse (see RawHeaders.lazy); copied out at the end. */
const lazySpans: (string | number)[] = [];

/**
 * How many entries of {@link lazySpans} belong to the current parse. Counted instead of truncating
 * the array: `length = 0` frees its backing store, and the next Contact's spans allocated a new one
 * (~140 bytes on every parse of a message with a Contact).
 */
let lazyCount = 0;

/** The mode of the current parse (set by each entry point before {@link parseHead}). */
let liberal = true;

/** The header text of the current parse when it is not the input itself (non-ASCII input). */
let mapped: HeaderText | undefined;

/** Byte offset in the input of `charOffset` in the text {@link parseHead} reads. */
function byteOffsetOf(charOffset: number): number {
  return mapped === undefined ? charOffset : byteOffsetIn(mapped, charOffset);
}


/** Whether a header of the current parse was deferred (its spans are then kept on the raw lines). */
const current = { deferred: false };

/** The lazy-line spans to keep for the current parse: only when a header was deferred. */
function keptSpans(): (string | number)[] | undefined {
  return current.deferred ? lazySpans.slice(0, lazyCount) : undefined;
}

/**
 * A header of the lazy set in the liberal mode: parsed now when it parses (an accessor define
 * costs more than parsing a usual Contact), deferred to its first read when it does not, so the
 * fault surfaces only for whoever reads it. Its span is recorded either way: a later line of the
 * same key that fails defers the earlier ones too.
 */
function storeLazyHeader(headers: Headers, kind: StructuredKind, key: string, text: string, valueStart: number, valueEnd: number, spanEnd: number): void {
  lazySpans[lazyCount++] = key;
  lazySpans[lazyCount++] = valueStart;
  lazySpans[lazyCount++] = spanEnd;
  if (kind >= Kind.Auth) {
    deferHeader(headers, key);
    current.deferred = true;
    return;
  }
  if (current.deferred && isDeferred(headers, key)) return;
  try {
    addHeaderOf(headers, kind, key, text, valueStart, valueEnd);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    deferHeader(headers, key);
    current.deferred = true;
  }
}

/** The section whose lines are being read again (see {@link RESCAN_LIMITS}); nothing is stored meanwhile. */
let rescanning: RawHeaders | undefined;

/** No limits for reading again a section that was accepted once under its own. */
const RESCAN_LIMITS: Required<ParseLimits> = { maxHeaderBytes: Infinity, maxHeaderCount: Infinity, maxBodyBytes: Infinity };

// The serializer needs the lines of a section parsed before the last parse: the line loop reads
// them again, storing nothing (rare: a forward serializes what was just parsed, see raw-headers.ts).
setRescan((raw) => {
  rescanning = raw;
  try {
    parseHeaderLines(raw.text, codesOf(raw.text), new PlainHeaders(), raw.start, Infinity, RESCAN_LIMITS);
  } finally {
    rescanning = undefined;
  }
});

/**
 * Stores `value`, found at `at`, of a header of a scalar or text kind. In the liberal mode a bad
 * Date is a fault, reported by `headerFaults`, not an error (RFC 4475 §3.1.2.12).
 */
function storeValue(headers: Headers, kind: ValueKind, key: string, value: string, at: number): void {
  if (liberal && kind === Kind.Date) {
    if (!isSipDate(value)) addFault(headers, key, new SipParseError('invalid-date', `Date '${value}' is not an RFC 1123 GMT date`, byteOffsetOf(at)));
    addTextHeader(headers, key, value);
  } else addValueOf(headers, kind, key, value, at);
}

/**
 * Stores one header value, `text[valueStart, valueEnd)`, of kind `kind` (header-kinds.ts).
 * `spanEnd` is what the lazy spans keep as its end: `valueEnd`, or `-eol - 1` for a folded value.
 */
function storeHeader(headers: Headers, kind: Kind, key: string, text: string, valueStart: number, valueEnd: number, spanEnd: number): void {
  if (rescanning !== undefined) return;
  if (kind < Kind.Via) storeValue(headers, kind as ValueKind, key, text.slice(valueStart, valueEnd), valueStart);
  else if (liberal && kind >= Kind.Contact) storeLazyHeader(headers, kind as StructuredKind, key, text, valueStart, valueEnd, spanEnd);
  else addHeaderOf(headers, kind as StructuredKind, key, text, valueStart, valueEnd);
}

/**
 * Stores a folded value, `text[start, eol)` (`eol` at its last CR; RFC 3261 §7.3.1). The
 * structured kinds are parsed in place, with codes that read each fold as SP (scan-source.ts);
 * the scalar and text kinds are unfolded into their string, with errors at `start`.
 */
function storeFolded(headers: Headers, kind: Kind, key: string, text: string, start: number, eol: number): void {
  if (rescanning !== undefined) return;
  if (kind < Kind.Via) {
    storeValue(headers, kind as ValueKind, key, unfold(text, start, eol), start);
    return;
  }
  beginFolded(start, eol);
  const b = codesFor(text);
  start = skipWspCodes(b, start);
  storeHeader(headers, kind, key, text, start, trimEndCodes(b, start, eol), -eol - 1);
  endFolded();
}

/** Where the start line beginning at `start` ends (its CR), checked against the header limit. */
function startLineEnd(text: string, start: number, limits: Required<ParseLimits>): number {
  const limit = start + limits.maxHeaderBytes;
  const eol = text.indexOf('\n', start) - 1;
  if (eol > limit) fail('header-too-large', `header section exceeds ${String(limits.maxHeaderBytes)} bytes`, limit);
  if (eol < 0 || text.charCodeAt(eol) !== CR) fail('missing-header-end', 'start line does not end with CRLF', eol < 0 ? text.length : eol + 1);
  return eol;
}

/**
 * Parses the header lines of `text` (bytes `codes`) from `from` (just after the start line) into
 * `headers`, up to the empty line that ends the header section, and returns where the body starts
 * (after that empty line). `limit` is where the header section must end by. Header names are read
 * with a token scan that also finds the colon, so each line costs one native search (for its LF).
 */
function parseHeaderLines(text: string, codes: Uint8Array, headers: Headers, from: number, limit: number, limits: Required<ParseLimits>): number {
  let eol: number;
  let pos = from;
  let count = 0;
  const first = pos;
  lazyCount = 0;
  current.deferred = false;
  beginLines();
  for (;;) {
    let c = (codes[pos] ?? -1);
    if (c === CR && (codes[pos + 1] ?? -1) === LF) break; // the empty line
    if (pos > limit) fail('header-too-large', `header section exceeds ${String(limits.maxHeaderBytes)} bytes`, limit);
    if (++count > limits.maxHeaderCount) fail('too-many-headers', `more than ${String(limits.maxHeaderCount)} headers`, pos);
    let i = pos;
    while (c < 128 && TOKEN[c] === 1) c = (codes[++i] ?? -1);
    const nameEnd = i;
    while (c === 0x20 || c === 0x09) c = (codes[++i] ?? -1);
    if (c !== 0x3a || nameEnd === pos) {
      if (pos >= text.length) fail('missing-header-end', 'header section is not terminated by an empty line', pos);
      if (c === CR || c === LF || c === -1) fail('invalid-header-line', 'header line has no colon', pos);
      fail('invalid-header-name', 'header name is not a token', nameEnd);
    }
    const known = knownHeaderAt(codes, pos, nameEnd);
    const key = known !== undefined ? known.key : headerKey(text.slice(pos, nameEnd));
    const kind = known !== undefined ? known.kind : Kind.Text;
    let valueStart = i + 1;
    c = (codes[valueStart] ?? -1);
    while (c === 0x20 || c === 0x09) c = (codes[++valueStart] ?? -1);
    // One pass per physical line; a line starting with whitespace continues the value (RFC 3261
    // §7.3.1 folding: each CRLF + whitespace counts as one SP).
    let next = valueStart;
    let lines = 0;
    do {
      eol = text.indexOf('\n', next) - 1;
      if (eol > limit) fail('header-too-large', `header section exceeds ${String(limits.maxHeaderBytes)} bytes`, limit);
      if (eol < 0) fail('missing-header-end', 'header section is not terminated by an empty line', text.length);
      if ((codes[eol] ?? -1) !== CR) fail('invalid-header-line', 'bare LF in the header section', eol + 1);
      next = eol + 2;
      c = (codes[next] ?? -1);
      lines++;
    } while (c === 0x20 || c === 0x09);
    if (lines > 1) {
      recordLine(key, pos, valueStart, -eol - 1);
      storeFolded(headers, kind, key, text, valueStart, eol);
    } else {
      const valueEnd = trimEndCodes(codes, valueStart, eol);
      recordLine(key, pos, valueStart, valueEnd);
      storeHeader(headers, kind, key, text, valueStart, valueEnd, valueEnd);
    }
    pos = next;
  }
  if (rescanning !== undefined) {
    endLines(rescanning);
    return pos + 2;
  }
  const raw: RawHeaders = {
    text,
    start: first,
    lazy: keptSpans(),
    end: pos,
    base: mapped === undefined ? 0 : mapped.base,
    ascii: mapped === undefined || mapped.ascii,
  };
  attachRaw(headers, raw);
  endLines(raw);
  return pos + 2;
}

/** A parsed start line and header section, and where the body starts in the text. */
interface Head {
  message: SipRequest | SipResponse;
  bodyStart: number;
}

/**
 * Parses the start line at `start` and the header lines after it. Small enough to be inlined into
 * its callers, so the {@link Head} pair it returns is not allocated in optimized code.
 */
function parseHead(text: string, codes: Uint8Array, start: number, limits: Required<ParseLimits>): Head {
  beginScan(text, codes);
  const eol = startLineEnd(text, start, limits);
  const headers = new PlainHeaders();
  const message = parseStartLine(text, start, eol, headers);
  const bodyStart = parseHeaderLines(text, codes, headers, eol + 2, start + limits.maxHeaderBytes, limits);
  if (message.method !== undefined) {
    const cseq = headers.cseq;
    if (cseq !== undefined && cseq.method !== message.method) {
      fail('cseq-method-mismatch', `CSeq method '${cseq.method}' differs from the request method`, start);
    }
  }
  return { message, bodyStart };
}

function decodeBody(bytes: Uint8Array): Content {
  if (bytes.length === 0) return '';
  return decodeUtf8OrUndefined(bytes) ?? copyBytes(bytes);
}

/**
 * The limits of the current parse, filled from its options: one object reused from parse to parse
 * (a new one per parse was 79 B of what a server allocates per message; the parser does not nest).
 */
const active: Required<ParseLimits> = { ...DEFAULT_LIMITS };

function limitsOf(options: ParseOptions | undefined): Required<ParseLimits> {
  if (options === undefined) return DEFAULT_LIMITS;
  active.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  active.maxHeaderCount = options.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
  active.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  return active;
}

/** Body length from Content-Length and the framing rules (RFC 3261 §18.3, §20.14). */
function bodyLengthOf(message: SipRequest | SipResponse, available: number, bodyStart: number, options: ParseOptions | undefined, limits: Required<ParseLimits>): number {
  const declared = message.headers['content-length'];
  let length: number;
  if (declared === undefined) {
    if (options?.framing === 'stream') fail('missing-content-length', 'Content-Length is required on stream transports', bodyStart);
    length = available;
  } else {
    if (declared > available) fail('content-length-exceeds-body', `Content-Length ${String(declared)} exceeds the ${String(available)} body bytes`, bodyStart);
    length = declared;
  }
  if (length > limits.maxBodyBytes) fail('body-too-large', `body exceeds ${String(limits.maxBodyBytes)} bytes`, bodyStart);
  return length;
}

/** Where the start line begins in `bytes`: after any CRLFs (RFC 3261 §7.5 ignores them). */
function messageStart(bytes: Uint8Array): number {
  const n = bytes.length;
  let start = 0;
  while (start + 1 < n && bytes[start] === CR && bytes[start + 1] === LF) start += 2;
  if (start >= n) fail('empty-message', 'no message', start);
  return start;
}

/** Fast path: the whole input is ASCII, so characters and bytes line up one to one. */
function parseAscii(text: string, codes: Uint8Array, options: ParseOptions | undefined): Parsed<SipMessage> {
  const limits = limitsOf(options);
  const n = text.length;
  const start = messageStart(codes);
  const { message, bodyStart } = parseHead(text, codes, start, limits);
  const length = bodyLengthOf(message, n - bodyStart, bodyStart, options, limits);
  if (length > 0) message.content = text.slice(bodyStart, bodyStart + length);
  return message as Parsed<SipMessage>;
}

function parseBytes(bytes: Uint8Array, options: ParseOptions | undefined): Parsed<SipMessage> {
  const whole = decodeUtf8OrUndefined(bytes);
  if (whole !== undefined && whole.length === bytes.length) return parseAscii(whole, bytes, options);
  const limits = limitsOf(options);
  const n = bytes.length;
  const start = messageStart(bytes);
  const headerEnd = findHeaderEnd(bytes, start, start + limits.maxHeaderBytes);
  if (headerEnd === -1) {
    if (n - start > limits.maxHeaderBytes) fail('header-too-large', `header section exceeds ${String(limits.maxHeaderBytes)} bytes`, start + limits.maxHeaderBytes);
    fail('missing-header-end', 'header section is not terminated by an empty line', n);
  }
  const headBytes = bytes.subarray(start, headerEnd + 4);
  const utf8 = decodeUtf8OrUndefined(headBytes);
  const h: HeaderText = { text: utf8 ?? decodeLatin1(headBytes), base: start, ascii: utf8 === undefined || utf8.length === headBytes.length };

  let message: SipRequest | SipResponse;
  mapped = h;
  try {
    message = parseHead(h.text, h.ascii ? headBytes : codesOf(h.text), 0, limits).message;
  } catch (e) {
    if (e instanceof SipParseError) throw e.withOffset(byteOffsetIn(h, e.offset));
    throw e;
  } finally {
    mapped = undefined;
  }
  const bodyStart = headerEnd + 4;
  const length = bodyLengthOf(message, n - bodyStart, bodyStart, options, limits);
  message.content = decodeBody(bytes.subarray(bodyStart, bodyStart + length));
  return message as Parsed<SipMessage>;
}

/**
 * Parses one SIP message. A string input whose characters are all ≤ U+00FF is read as bytes (a
 * "binary" string); any other string is encoded as UTF-8 first. By default (liberal) a fault in a
 * header the stack does not need leaves the message deliverable (see `headerFaults`);
 * `{ strict: true }` parses every header now and throws on the first fault.
 * @throws SipParseError naming the fault (`code`), where (`offset`, in bytes) and the status to answer
 * @example const msg = parseMessage(datagram); if ('method' in msg) console.log(msg.method, msg.headers.via?.[0]?.params.branch)
 * @see RFC 3261 §7, §25
 */
export function parseMessage(input: Uint8Array | string, options?: ParseOptions): Parsed<SipMessage> {
  liberal = options?.strict !== true;
  try {
    if (typeof input !== 'string') return parseBytes(input, options);
    // An ASCII string is its own bytes: parse it in place.
    return isAscii(input) ? parseAscii(input, encodeUtf8(input), options) : parseBytes(bytesOfInput(input), options);
  } finally {
    endScan();
  }
}

/**
 * Like {@link parseMessage}, but returns `{ok: false, error}` instead of throwing. A fault of the
 * input has its own code; an exception of the parser itself (a bug) is code `internal-error`,
 * status 500, with the exception as `cause`.
 * @example const r = safeParseMessage(bytes); if (!r.ok) log.warn(r.error.code)
 */
export function safeParseMessage(input: Uint8Array | string, options?: ParseOptions): ParseResult {
  try {
    return { ok: true, message: parseMessage(input, options) };
  } catch (e) {
    if (e instanceof SipParseError) return { ok: false, error: e };
    // Anything else is a bug in the parser, not a fault of the input: report it as one (500, the
    // exception as the cause, its text kept off the wire) rather than crash a socket callback.
    return { ok: false, error: new SipParseError('internal-error', 'internal parser error', 0, 500, { cause: e }) };
  }
}

/**
 * The classic `sip.parse`: returns the message, or `undefined` when the input is not a valid
 * SIP message. Never throws.
 * @example const m = parse(buffer); if (m === undefined) dropped++
 */
export function parse(input: Uint8Array | string): Parsed<SipMessage> | undefined {
  const r = safeParseMessage(input);
  return r.ok ? r.message : undefined;
}
