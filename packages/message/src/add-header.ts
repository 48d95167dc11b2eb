/**
 * Parsing one header value into the object model (RFC 3261 §20): the structured headers with their
 * scanners, the scalar ones with their checks, any other header as its text.
 */
import { parseAuthHeaderAt, parseAuthInfoAt } from './auth.js';
import { SipParseError, type SipParseErrorCode } from './errors.js';
import { isSipDate, parseBoundedInt, parseCSeqAt } from './header-values.js';
import { parseNameAddrAt, parseNameAddrListAt } from './name-addr.js';
import { setOwn } from './own.js';
import type { AuthHeader, Headers, RouteEntry } from './types.js';
import { parseUriOrThrow } from './uri.js';
import { parseViaAt } from './via.js';
import { Kind } from './header-kinds.js';

export function fail(code: SipParseErrorCode, what: string, offset: number, status = 400): never {
  throw new SipParseError(code, what, offset, status);
}

function duplicate(key: string, at: number): never {
  fail('duplicate-header', `'${key}' appears more than once`, at);
}

function appendRoutes(headers: Headers, key: 'route' | 'record-route' | 'path', s: string, start: number, end: number): void {
  const routes: RouteEntry[] = parseNameAddrListAt(s, start, end, undefined);
  let from = start;
  for (const r of routes) {
    if (typeof r.uri !== 'string') continue;
    const at = s.indexOf(r.uri, from);
    from = at + r.uri.length;
    r.uri = parseUriOrThrow(r.uri, at);
  }
  const existing = headers[key];
  if (existing === undefined) headers[key] = routes;
  else existing.push(...routes);
}

/** The kinds whose value is one string: text, and the scalar headers. */
export type ValueKind = Kind.Text | Kind.CallId | Kind.ContentLength | Kind.MaxForwards | Kind.Date;

/** The kinds read by the structured scanners: `Kind.Via` and after. */
export type StructuredKind = Exclude<Kind, ValueKind>;

/**
 * Parses the value `s[start, end)` of header `key`, of kind `kind` (header-kinds.ts), into
 * `headers`. Offsets in errors are in `s`; the character at `end` is CR or trailing whitespace,
 * never part of the value.
 */
export function addHeaderOf(headers: Headers, kind: StructuredKind, key: string, s: string, start: number, end: number): void {
  switch (kind) {
    case Kind.Via:
      headers.via = parseViaAt(s, start, end, headers.via);
      return;
    case Kind.From:
      if (headers.from !== undefined) duplicate(key, start);
      headers.from = parseNameAddrAt(s, start, end);
      return;
    case Kind.To:
      if (headers.to !== undefined) duplicate(key, start);
      headers.to = parseNameAddrAt(s, start, end);
      return;
    case Kind.ReferTo:
      if (headers['refer-to'] !== undefined) duplicate(key, start);
      headers['refer-to'] = parseNameAddrAt(s, start, end);
      return;
    case Kind.CSeq:
      if (headers.cseq !== undefined) duplicate(key, start);
      headers.cseq = parseCSeqAt(s, start, end);
      return;
    case Kind.Contact:
      headers.contact = parseNameAddrListAt(s, start, end, headers.contact);
      return;
    case Kind.Route:
    case Kind.RecordRoute:
    case Kind.Path:
      appendRoutes(headers, key as 'route' | 'record-route' | 'path', s, start, end);
      return;
    case Kind.Auth: {
      const k = key as 'www-authenticate' | 'proxy-authenticate' | 'authorization' | 'proxy-authorization';
      const list = headers[k] ?? (headers[k] = [] as AuthHeader[]);
      list.push(parseAuthHeaderAt(s, start, end));
      return;
    }
    case Kind.AuthInfo: {
      const k = key as 'authentication-info' | 'proxy-authentication-info';
      if (headers[k] !== undefined) duplicate(key, start);
      headers[k] = parseAuthInfoAt(s, start, end);
    }
  }
}

/**
 * Stores `value`, found at offset `at`, of header `key` of a scalar or text kind (`Kind.Text` to
 * `Kind.Date`): checked as its kind says, then kept as text or as its number.
 */
export function addValueOf(headers: Headers, kind: ValueKind, key: string, value: string, at: number): void {
  switch (kind) {
    case Kind.CallId:
      if (headers['call-id'] !== undefined) duplicate(key, at);
      if (value.length === 0) fail('invalid-header-value', 'empty Call-ID', at);
      headers['call-id'] = value;
      return;
    case Kind.ContentLength: {
      if (headers['content-length'] !== undefined) fail('multiple-content-length', 'more than one Content-Length', at);
      const n = parseBoundedInt(value, Number.MAX_SAFE_INTEGER);
      if (n < 0) fail('invalid-content-length', `Content-Length '${value}' is not a number of bytes`, at);
      headers['content-length'] = n;
      return;
    }
    case Kind.MaxForwards:
      if (headers['max-forwards'] !== undefined) duplicate(key, at);
      if (parseBoundedInt(value, 255) < 0) fail('invalid-max-forwards', `Max-Forwards '${value}' is not 0-255`, at);
      headers['max-forwards'] = value;
      return;
    case Kind.Date:
      if (!isSipDate(value)) fail('invalid-date', `Date '${value}' is not an RFC 1123 GMT date`, at);
      break;
    case Kind.Text:
      break;
  }
  addTextHeader(headers, key, value);
}

/**
 * Stores a header kept as text: the first value as is, a repeated one joined with `,`
 * (RFC 3261 §7.3.1). Own properties only: a header named `constructor` or `__proto__` is still a header.
 */
export function addTextHeader(headers: Headers, key: string, value: string): void {
  const prev = Object.hasOwn(headers, key) ? headers[key] : undefined;
  if (prev === undefined) {
    if (key === '__proto__') setOwn(headers as Record<string, unknown>, key, value);
    else headers[key] = value;
  } else if (typeof prev === 'string') {
    headers[key] = prev + ',' + value;
  }
}

