/**
 * Authentication headers: WWW-Authenticate, Proxy-Authenticate, Authorization,
 * Proxy-Authorization (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616 §3.3–3.4) and
 * Authentication-Info (RFC 3261 §20.6). Scanners read the codes of `s[start, end)` with absolute offsets.
 */
import { TOKEN, skipWspCodes } from './chars.js';
import { SipParseError } from './errors.js';
import { setOwn } from './own.js';
import { endOfQuotedCodes, scanCodes } from './params.js';
import { codesFor, cut } from './scan-source.js';
import type { AuthHeader, AuthInfo } from './types.js';

/** Unquoted auth-param value characters: anything but separators, whitespace, quotes, controls. */
function endOfBareValue(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c <= 0x20 || c === 0x2c || c === 0x22 || c === 0x7f) break;
    i++;
  }
  return i;
}

/** Parses `auth-param *(COMMA auth-param)` from `s[i, end)` (codes `b`) into `out`. */
function parseAuthParams(s: string, b: Uint8Array, i: number, end: number, out: Record<string, string | undefined>): void {
  for (;;) {
    i = skipWspCodes(b, i);
    if (i >= end) return;
    const nameStart = i;
    i = scanCodes(b, i, TOKEN);
    if (i === nameStart || i > end) throw new SipParseError('invalid-auth', 'expected an auth parameter name', nameStart);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWspCodes(b, i);
    if (i >= end || b[i] !== 0x3d) throw new SipParseError('invalid-auth', `auth parameter '${name}' has no '='`, i);
    i = skipWspCodes(b, i + 1);
    const valueStart = i;
    i = b[i] === 0x22 ? endOfQuotedCodes(b, i, end) : endOfBareValue(b, i, end);
    if (name === 'scheme') throw new SipParseError('invalid-auth', "'scheme' is not an auth parameter", nameStart);
    setOwn(out, name, cut(s, valueStart, i));
    i = skipWspCodes(b, i);
    if (i >= end) return;
    if (b[i] !== 0x2c) throw new SipParseError('invalid-auth', "expected ',' between auth parameters", i);
    i++;
  }
}

/**
 * Parses the challenge or credentials `s[start, end)`; offsets in errors are offsets in `s`.
 * @throws SipParseError `invalid-auth`, `unterminated-quote`
 */
export function parseAuthHeaderAt(s: string, start: number, end: number): AuthHeader {
  const b = codesFor(s);
  let i = skipWspCodes(b, start);
  const schemeStart = i;
  i = scanCodes(b, i, TOKEN);
  if (i === schemeStart || i > end) throw new SipParseError('invalid-auth', 'missing auth scheme', schemeStart);
  const out: AuthHeader = { scheme: s.slice(schemeStart, i) };
  const afterScheme = i;
  i = skipWspCodes(b, i);
  if (i < end && i === afterScheme) throw new SipParseError('invalid-auth', 'expected whitespace after the auth scheme', i);
  parseAuthParams(s, b, i, end, out);
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
  parseAuthParams(s, codesFor(s), start, end, out);
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
