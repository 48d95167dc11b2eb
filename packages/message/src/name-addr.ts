/**
 * name-addr / addr-spec values: From, To, Contact, Route, Record-Route, Path, Refer-To
 * (RFC 3261 §20.10, §20.20, §20.30, §20.34, §20.39, §25.1 `name-addr`, `addr-spec`).
 */
import { TOKEN, skipWspCodes } from './chars.js';
import { SipParseError } from './errors.js';
import { endOfQuotedCodes, parseParamsCodes, scanCodes, stringifyParams } from './params.js';
import { codesFor, cut } from './scan-source.js';
import type { NameAddr, Params, RouteEntry } from './types.js';
import { schemeEndAt, stringifyUri } from './uri.js';
import { checkUriAt } from './uri-check.js';
import { PlainNameAddr } from './plain.js';

/** Where the last {@link parseNameAddrAt} call stopped (saves allocating a result pair). */
let lastEnd = 0;

/** The error for whitespace inside `<>` in `s[from, to)`, if there is any (RFC 3261 §25.1). */
function whitespaceInBrackets(b: Uint8Array, from: number, to: number): SipParseError | undefined {
  for (let k = from; k < to; k++) {
    if ((b[k] ?? 0xff) <= 0x20) return new SipParseError('invalid-name-addr', 'whitespace inside <>', k);
  }
  return undefined;
}

/**
 * Parses one name-addr or addr-spec with its header parameters from `s[i, end)`.
 * In an addr-spec, `;` starts header parameters (RFC 3261 §20.10) and `?` is not allowed.
 * The URI is validated as `parseUri` would (RFC 3261 §25.1: a sip/sips URI needs a host) but
 * kept as text.
 * @throws SipParseError `invalid-name-addr`, `invalid-display-name`, `unterminated-quote`,
 * `invalid-uri` (a URI `parseUri` rejects: the offset points at the fault)
 */
function parseOneAt(s: string, b: Uint8Array, i: number, end: number): NameAddr {
  i = skipWspCodes(b, i);
  let name: string | undefined;
  const first = (b[i] ?? NaN);
  if (first === 0x22) {
    const close = endOfQuotedCodes(b, i, end);
    name = cut(s, i, close);
    i = skipWspCodes(b, close);
    if ((b[i] ?? NaN) !== 0x3c) throw new SipParseError('invalid-name-addr', "expected '<' after display name", i);
  } else if (first !== 0x3c) {
    // Either `token *(LWS token) <uri>` or an addr-spec: look for '<' after a run of tokens.
    let j = i;
    let lastToken = i;
    for (;;) {
      const k = scanCodes(b, j, TOKEN);
      if (k === j) break;
      lastToken = k;
      j = skipWspCodes(b, k);
    }
    if (j > i && (b[j] ?? NaN) === 0x3c) {
      name = cut(s, i, lastToken);
      i = j;
    }
  }
  let uri: string;
  if ((b[i] ?? NaN) === 0x3c) {
    const close = s.indexOf('>', i + 1);
    if (close === -1 || close >= end) throw new SipParseError('invalid-name-addr', "missing '>'", i);
    // A scheme scan stops at '>', so a colon it finds lies inside the brackets.
    const colon = schemeEndAt(s, i + 1);
    if (colon !== -1) {
      try {
        checkUriAt(s, i + 1, colon, close);
      } catch (e) {
        throw whitespaceInBrackets(b, i + 1, close) ?? e;
      }
    } else {
      const ws = whitespaceInBrackets(b, i + 1, close);
      if (ws !== undefined) throw ws;
      if (close !== i + 2 || (b[i + 1] ?? NaN) !== 0x2a) throw new SipParseError('invalid-name-addr', 'URI has no scheme', i + 1);
    }
    uri = s.slice(i + 1, close);
    i = close + 1;
  } else {
    const start = i;
    for (; i < end; i++) {
      const c = (b[i] ?? NaN);
      if (c === 0x3b || c === 0x2c || c <= 0x20 || c === 0x3c || c === 0x3e || c === 0x22) break;
      if (c === 0x3f) throw new SipParseError('invalid-name-addr', "an addr-spec with '?' needs <>", i);
    }
    if (i === start) throw new SipParseError('invalid-name-addr', 'empty address', start);
    const colon = schemeEndAt(s, start);
    if (colon !== -1 && colon < i) {
      checkUriAt(s, start, colon, i);
    } else if (i !== start + 1 || (b[start] ?? NaN) !== 0x2a) {
      const laquot = s.indexOf('<', start);
      if (laquot !== -1 && laquot < end) throw new SipParseError('invalid-display-name', 'invalid display name', start);
      throw new SipParseError('invalid-name-addr', 'expected a URI', start);
    }
    uri = s.slice(start, i);
  }
  const params: Params = {};
  i = parseParamsCodes(s, b, i, end, params, 'invalid-name-addr');
  lastEnd = skipWspCodes(b, i);
  return new PlainNameAddr(name, uri, params);
}

/**
 * Parses a single-valued name-addr header value `s[start, end)` (From, To, Refer-To).
 * @throws SipParseError when the value is not one name-addr or addr-spec
 */
export function parseNameAddrAt(s: string, start: number, end: number): NameAddr {
  const b = codesFor(s);
  const value = parseOneAt(s, b, start, end);
  if (lastEnd < end) {
    const code = b[lastEnd] === 0x2c && value.uri.indexOf(':') === -1 ? 'invalid-display-name' : 'invalid-name-addr';
    throw new SipParseError(code, 'unexpected text after the address', lastEnd);
  }
  return value;
}

/**
 * Parses the comma-separated name-addr list `s[start, end)` (Contact, Route, Record-Route, Path)
 * appending to `out` (or a new array) and returning it.
 * @throws SipParseError on an empty element or a malformed address
 */
export function parseNameAddrListAt(s: string, start: number, end: number, out: NameAddr[] | undefined): NameAddr[] {
  const b = codesFor(s);
  let i = start;
  for (;;) {
    const value = parseOneAt(s, b, i, end);
    // A literal `[value]` is sized exactly; the first push to `[]` would reserve 17 slots.
    if (out === undefined) out = [value];
    else out.push(value);
    if (lastEnd >= end) return out;
    if (b[lastEnd] !== 0x2c) throw new SipParseError('invalid-name-addr', "expected ',' between addresses", lastEnd);
    i = lastEnd + 1;
  }
}

/**
 * Parses a From/To/Refer-To style value.
 * @throws SipParseError `invalid-name-addr`, `invalid-display-name`, `unterminated-quote`, `invalid-uri`
 * @example parseNameAddr('"Bob" <sip:bob@biloxi.com>;tag=a6c85cf') // { name: '"Bob"', uri: 'sip:bob@biloxi.com', params: { tag: 'a6c85cf' } }
 * @see RFC 3261 §20.20
 */
export function parseNameAddr(s: string): NameAddr {
  return parseNameAddrAt(s, 0, s.length);
}

/**
 * Parses a Contact/Route style comma-separated list.
 * @throws SipParseError as {@link parseNameAddr}
 * @see RFC 3261 §20.10
 */
export function parseNameAddrList(s: string): NameAddr[] {
  return parseNameAddrListAt(s, 0, s.length, undefined);
}

/** Writes a name-addr: `name <uri>;params`, always with angle brackets; `*` stays bare. */
export function stringifyNameAddr(v: NameAddr | RouteEntry | string): string {
  if (typeof v === 'string') return v;
  const uri = typeof v.uri === 'string' ? v.uri : stringifyUri(v.uri);
  if (uri === '*') return '*';
  const name: unknown = v.name; // plain objects from JavaScript callers may hold null here
  return (typeof name === 'string' && name !== '' ? name + ' <' : '<') + uri + '>' + stringifyParams(v.params);
}
