/**
 * Authentication headers: WWW-Authenticate, Proxy-Authenticate, Authorization,
 * Proxy-Authorization (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616 §3.3–3.4) and
 * Authentication-Info (RFC 3261 §20.6).
 */
import { TOKEN, skipWsp } from './chars.js';
import { SipParseError } from './errors.js';
import { setOwn } from './own.js';
import { endOfQuoted, scan } from './params.js';
import type { AuthHeader, AuthInfo } from './types.js';

/** Unquoted auth-param value characters: anything but separators, whitespace, quotes, controls. */
function endOfBareValue(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x2c || c === 0x22 || c === 0x7f) break;
    i++;
  }
  return i;
}

/** Parses `auth-param *(COMMA auth-param)` from `i` into `out`. */
function parseAuthParams(s: string, i: number, out: Record<string, string | undefined>, at: number): void {
  const n = s.length;
  for (;;) {
    i = skipWsp(s, i);
    if (i >= n) return;
    const nameStart = i;
    i = scan(s, i, TOKEN);
    if (i === nameStart) throw new SipParseError('invalid-auth', 'expected an auth parameter name', at + i);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWsp(s, i);
    if (s.charCodeAt(i) !== 0x3d) throw new SipParseError('invalid-auth', `auth parameter '${name}' has no '='`, at + i);
    i = skipWsp(s, i + 1);
    const valueStart = i;
    i = s.charCodeAt(i) === 0x22 ? endOfQuoted(s, i, at) : endOfBareValue(s, i);
    if (name === 'scheme') throw new SipParseError('invalid-auth', "'scheme' is not an auth parameter", at + nameStart);
    setOwn(out, name, s.slice(valueStart, i));
    i = skipWsp(s, i);
    if (i >= n) return;
    if (s.charCodeAt(i) !== 0x2c) throw new SipParseError('invalid-auth', "expected ',' between auth parameters", at + i);
    i++;
  }
}

/**
 * Parses one challenge or credentials value: `Digest realm="x", nonce="y"` →
 * `{scheme: 'Digest', realm: '"x"', nonce: '"y"'}`. Parameter names are lower-cased.
 * @throws SipParseError `invalid-auth`
 */
export function parseAuthHeader(s: string, at = 0): AuthHeader {
  let i = skipWsp(s, 0);
  const start = i;
  i = scan(s, i, TOKEN);
  if (i === start) throw new SipParseError('invalid-auth', 'missing auth scheme', at + i);
  const out: AuthHeader = { scheme: s.slice(start, i) };
  const afterScheme = i;
  i = skipWsp(s, i);
  if (i < s.length && i === afterScheme) throw new SipParseError('invalid-auth', 'expected whitespace after the auth scheme', at + i);
  parseAuthParams(s, i, out, at);
  return out;
}

/**
 * Parses Authentication-Info (a comma-separated parameter list).
 * @throws SipParseError `invalid-auth`
 */
export function parseAuthInfo(s: string, at = 0): AuthInfo {
  const out: AuthInfo = {};
  parseAuthParams(s, 0, out, at);
  return out;
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
