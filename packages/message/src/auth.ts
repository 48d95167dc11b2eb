/**
 * Authentication headers: WWW-Authenticate, Proxy-Authenticate, Authorization,
 * Proxy-Authorization (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616 §3.3–3.4) and
 * Authentication-Info (RFC 3261 §20.6). Scanners read `s[start, end)` with absolute offsets.
 */
import { TOKEN, skipWsp } from './chars.js';
import { SipParseError } from './errors.js';
import { setOwn } from './own.js';
import { endOfQuoted, scan } from './params.js';
import type { AuthHeader, AuthInfo } from './types.js';

/** Unquoted auth-param value characters: anything but separators, whitespace, quotes, controls. */
function endOfBareValue(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x2c || c === 0x22 || c === 0x7f) break;
    i++;
  }
  return i;
}

/** Parses `auth-param *(COMMA auth-param)` from `s[i, end)` into `out`. */
function parseAuthParams(s: string, i: number, end: number, out: Record<string, string | undefined>): void {
  for (;;) {
    i = skipWsp(s, i);
    if (i >= end) return;
    const nameStart = i;
    i = scan(s, i, TOKEN);
    if (i === nameStart || i > end) throw new SipParseError('invalid-auth', 'expected an auth parameter name', nameStart);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWsp(s, i);
    if (i >= end || s.charCodeAt(i) !== 0x3d) throw new SipParseError('invalid-auth', `auth parameter '${name}' has no '='`, i);
    i = skipWsp(s, i + 1);
    const valueStart = i;
    i = s.charCodeAt(i) === 0x22 ? endOfQuoted(s, i, end) : endOfBareValue(s, i, end);
    if (name === 'scheme') throw new SipParseError('invalid-auth', "'scheme' is not an auth parameter", nameStart);
    setOwn(out, name, s.slice(valueStart, i));
    i = skipWsp(s, i);
    if (i >= end) return;
    if (s.charCodeAt(i) !== 0x2c) throw new SipParseError('invalid-auth', "expected ',' between auth parameters", i);
    i++;
  }
}

/**
 * Parses the challenge or credentials `s[start, end)`; offsets in errors are offsets in `s`.
 * @throws SipParseError `invalid-auth`, `unterminated-quote`
 */
export function parseAuthHeaderAt(s: string, start: number, end: number): AuthHeader {
  let i = skipWsp(s, start);
  const schemeStart = i;
  i = scan(s, i, TOKEN);
  if (i === schemeStart || i > end) throw new SipParseError('invalid-auth', 'missing auth scheme', schemeStart);
  const out: AuthHeader = { scheme: s.slice(schemeStart, i) };
  const afterScheme = i;
  i = skipWsp(s, i);
  if (i < end && i === afterScheme) throw new SipParseError('invalid-auth', 'expected whitespace after the auth scheme', i);
  parseAuthParams(s, i, end, out);
  return out;
}

/**
 * Parses one challenge or credentials value: `Digest realm="x", nonce="y"` →
 * `{scheme: 'Digest', realm: '"x"', nonce: '"y"'}`. Parameter names are lower-cased.
 * @throws SipParseError `invalid-auth`, `unterminated-quote`
 * @example parseAuthHeader('Digest realm="atlanta.com", qop="auth"').realm // '"atlanta.com"'
 * @see RFC 3261 §20.27, RFC 7616 §3.3
 */
export function parseAuthHeader(s: string): AuthHeader {
  return parseAuthHeaderAt(s, 0, s.length);
}

/**
 * Parses the Authentication-Info value `s[start, end)` (a comma-separated parameter list).
 * @throws SipParseError `invalid-auth`, `unterminated-quote`
 */
export function parseAuthInfoAt(s: string, start: number, end: number): AuthInfo {
  const out: AuthInfo = {};
  parseAuthParams(s, start, end, out);
  return out;
}

/**
 * Parses Authentication-Info (a comma-separated parameter list).
 * @throws SipParseError `invalid-auth`, `unterminated-quote`
 * @example parseAuthInfo('nextnonce="47364c23432d2e131a5fb210812c"').nextnonce
 * @see RFC 3261 §20.6
 */
export function parseAuthInfo(s: string): AuthInfo {
  return parseAuthInfoAt(s, 0, s.length);
}

/** Writes a challenge or credentials: `Digest realm="x", nonce="y"`. Undefined values are skipped. */
export function stringifyAuthHeader(a: AuthHeader | AuthInfo): string {
  let out = typeof a.scheme === 'string' ? a.scheme + ' ' : '';
  let first = true;
  for (const name in a) {
    if (name === 'scheme') continue;
    const v = a[name];
    if (v === undefined) continue;
    out += (first ? '' : ', ') + name + '=' + v;
    first = false;
  }
  return out;
}
