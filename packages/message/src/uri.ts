/**
 * URIs: `sip:`/`sips:` (RFC 3261 §19.1), `tel:` (RFC 3966) and any other absolute URI kept
 * opaque (RFC 3261 §25.1 `absoluteURI`), with RFC 5118 IPv6 references.
 */
import { IPV6_CHAR, SCHEME, URI_HEADER_CHAR as HEADER_CHAR, URI_HOST_NAME as HOST_NAME, URI_PARAM_CHAR as PARAM_CHAR, bracketIpv6 } from './chars.js';
import { SipParseError } from './errors.js';
import { setOwn } from './own.js';
import { checkSipUriAt } from './uri-check.js';
import { scan, stringifyParams } from './params.js';
import type { OpaqueUri, Params, SipUri, TelUri, Uri } from './types.js';

/**
 * Validates the SIP URI `s` whose scheme ends before `start`, for use as a Request-URI (where
 * URI headers are not allowed, RFC 3261 §19.1.5). Allocates nothing when the URI is valid.
 * Returns the problem and its offset in `s`, or `undefined`.
 */
export function checkSipUriSyntax(s: string, start: number, end: number): { what: string; at: number } | undefined {
  let question: number;
  try {
    question = checkSipUriAt(s, start, end);
  } catch (e) {
    if (e instanceof SipParseError) return { what: e.detail, at: e.offset };
    throw e;
  }
  if (question !== -1) return { what: 'a Request-URI must not carry URI headers', at: question };
  return undefined;
}

/** Throws the URI syntax error at offset `at + i`. */
function bad(what: string, at: number, i: number): never {
  throw new SipParseError('invalid-uri', what, at + i);
}

/** Index of the `:` that ends a valid scheme at the start of `s`, or -1. */
export function schemeEnd(s: string): number {
  return schemeEndAt(s, 0);
}

/** Index of the `:` that ends a valid scheme starting at `start` in `s`, or -1. */
export function schemeEndAt(s: string, start: number): number {
  const first = s.charCodeAt(start);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return -1;
  const i = scan(s, start + 1, SCHEME);
  return s.charCodeAt(i) === 0x3a ? i : -1;
}

/** Parses `s` from `start` (just after `sip:`/`sips:`) up to `n` as a SIP URI. */
function parseSipUri(s: string, schema: 'sip' | 'sips', start: number, n: number, at: number): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let i = start;
  let atSign = s.indexOf('@', start);
  if (atSign >= n) atSign = -1;
  if (atSign !== -1) {
    const colon = s.indexOf(':', start);
    if (atSign === start || colon === start) bad('empty user part', at, start);
    if (colon !== -1 && colon < atSign) {
      user = s.slice(start, colon);
      password = s.slice(colon + 1, atSign);
    } else {
      user = s.slice(start, atSign);
    }
    for (let k = start; k < atSign; k++) {
      const c = s.charCodeAt(k);
      if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) bad('invalid character in user part', at, k);
    }
    i = atSign + 1;
  }
  const hostStart = i;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close === -1 || close >= n) bad('unterminated IPv6 reference', at, i);
    if (scan(s, i + 1, IPV6_CHAR) !== close || close === i + 1) bad('invalid IPv6 reference', at, i);
    i = close + 1;
  } else {
    i = scan(s, i, HOST_NAME);
    if (i === hostStart) bad('missing host', at, i);
  }
  const host = s.slice(hostStart, i);
  let port: number | undefined;
  if (i < n && s.charCodeAt(i) === 0x3a) {
    const portStart = ++i;
    let value = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    if (i === portStart || i - portStart > 5 || value > 65535) bad('invalid port', at, portStart);
    port = value;
  }
  const params: Params = {};
  while (i < n && s.charCodeAt(i) === 0x3b) {
    const nameStart = ++i;
    i = scan(s, i, PARAM_CHAR);
    if (i === nameStart) bad('empty URI parameter', at, i);
    const nameEnd = i;
    let valueStart = -1;
    if (i < n && s.charCodeAt(i) === 0x3d) {
      valueStart = ++i;
      i = scan(s, i, PARAM_CHAR);
    }
    setOwn(params, s.slice(nameStart, nameEnd).toLowerCase(), valueStart === -1 ? null : s.slice(valueStart, i));
  }
  const headers: Record<string, string> = {};
  if (i < n && s.charCodeAt(i) === 0x3f) {
    do {
      const hStart = ++i;
      i = scan(s, i, HEADER_CHAR);
      const eq = s.indexOf('=', hStart);
      if (eq <= hStart || eq >= i || i > n) bad('invalid URI header', at, hStart);
      setOwn(headers, s.slice(hStart, eq), s.slice(eq + 1, i));
    } while (i < n && s.charCodeAt(i) === 0x26);
  }
  if (i !== n) bad('unexpected character in URI', at, i);
  return { schema, user, password, host, port, params, headers };
}

function parseTelUri(s: string, start: number, at: number): TelUri {
  let end = s.indexOf(';', start);
  if (end === -1) end = s.length;
  const number = s.slice(start, end);
  if (number.length === 0) bad('empty tel number', at, start);
  const params: Params = {};
  let i = end;
  while (i < s.length) {
    let next = s.indexOf(';', i + 1);
    if (next === -1) next = s.length;
    const part = s.slice(i + 1, next);
    if (part.length === 0) bad('empty tel parameter', at, i + 1);
    const eq = part.indexOf('=');
    if (eq === -1) setOwn(params, part.toLowerCase(), null);
    else setOwn(params, part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
    i = next;
  }
  return { schema: 'tel', number, params };
}

/**
 * Parses a URI, throwing on a syntax error. `at` is added to error offsets.
 * @throws SipParseError `invalid-uri`
 */
export function parseUriOrThrow(s: string, at = 0): Uri {
  const colon = schemeEnd(s);
  if (colon === -1) bad('missing or invalid URI scheme', at, 0);
  for (let k = colon + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f) bad('whitespace or control character in URI', at, k);
  }
  const schema = s.slice(0, colon).toLowerCase();
  if (schema === 'sip' || schema === 'sips') return parseSipUri(s, schema, colon + 1, s.length, at);
  if (schema === 'tel') return parseTelUri(s, colon + 1, at);
  if (colon + 1 === s.length) bad('empty URI', at, colon + 1);
  const opaque: OpaqueUri = { schema, opaque: s.slice(colon + 1) };
  return opaque;
}

/**
 * Parses a URI string: `sip:`/`sips:` into {@link SipUri}, `tel:` into {@link TelUri}, any
 * other scheme into {@link OpaqueUri}. An object is returned unchanged (classic contract).
 * Returns `undefined` when the text is not a URI; it never throws.
 * @example parseUri('sip:alice@[2001:db8::1]:5070;transport=tcp')
 * @see RFC 3261 §19.1.1, RFC 5118 §4
 */
export function parseUri(uri: string | Uri): Uri | undefined {
  if (typeof uri !== 'string') return uri;
  try {
    return parseUriOrThrow(uri);
  } catch {
    return undefined;
  }
}

/** True when `uri` is a `sip:` or `sips:` URI object. */
export function isSipUri(uri: Uri | undefined): uri is SipUri {
  return uri !== undefined && (uri.schema === 'sip' || uri.schema === 'sips') && 'host' in uri;
}

function stringifyUriHeaders(headers: Record<string, string> | undefined): string {
  let out = '';
  if (headers === undefined) return out;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    out += (out.length === 0 ? '?' : '&') + name + '=' + v;
  }
  return out;
}

/**
 * Writes a URI object as text; strings are returned unchanged. A `sip` URI with no `schema`
 * defaults to `sip:`; a port is written when it is a number (including 0).
 * @example stringifyUri({ schema: 'sip', user: 'bob', host: 'example.com', params: { lr: null }, headers: {} })
 */
export function stringifyUri(uri: string | Uri | Partial<SipUri>): string {
  if (typeof uri === 'string') return uri;
  if ('opaque' in uri && typeof uri.opaque === 'string') return uri.schema + ':' + uri.opaque;
  if ('number' in uri && typeof uri.number === 'string') return 'tel:' + uri.number + stringifyParams(uri.params);
  const u = uri as Partial<SipUri>;
  let out = (u.schema ?? 'sip') + ':';
  if (u.user !== undefined && u.user !== '') {
    out += u.user;
    if (u.password !== undefined) out += ':' + u.password;
    out += '@';
  }
  out += bracketIpv6(u.host ?? '');
  if (typeof u.port === 'number' && Number.isFinite(u.port)) out += ':' + String(u.port);
  return out + stringifyParams(u.params) + stringifyUriHeaders(u.headers);
}

/** Decodes `%HH` escapes to the characters of those byte values (for comparing URI parts). */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

