/**
 * URI validation without building: for URIs that stay text (name-addr headers, RFC 3261 §25.1
 * `name-addr` / `addr-spec`) and the Request-URI. Accepts exactly what `parseUriOrThrow` accepts,
 * in one bounded pass per part, allocating nothing on valid input.
 */
import { IPV6_CHAR, URI_HEADER_CHAR, URI_HOST_NAME, URI_PARAM_CHAR } from './chars.js';
import { SipParseError } from './errors.js';
import { codesFor } from './scan-source.js';

/** Throws the URI syntax error at offset `i`. */
function bad(what: string, i: number): never {
  throw new SipParseError('invalid-uri', what, i);
}

/** Index of the first code in `b[i, n)` not in table `t` (codes ≥ 128 never are), or `n`. */
function scanTo(b: Uint8Array, i: number, n: number, t: Uint8Array): number {
  while (i < n) {
    const c = b[i] ?? 0xff;
    if (!(c < 128 && t[c] === 1)) return i;
    i++;
  }
  return n;
}

/**
 * Validates `s[start, n)`, the part of a sip/sips URI after the scheme's `:` (RFC 3261 §19.1.1:
 * `[ userinfo ] hostport uri-parameters [ headers ]`, RFC 5118 IPv6 references), in place.
 * Returns the index of the `?` that starts URI headers, or -1 when there are none.
 * @throws SipParseError `invalid-uri`, its offset the index of the fault in `s`
 * @example checkSipUriAt('sip:alice@', 4, 10) // throws: missing host (at byte 10)
 */
export function checkSipUriAt(s: string, start: number, n: number): number {
  // Read as bytes (see scan-source.ts); `n` bounds every read, so no read falls off the end.
  const b = codesFor(s);
  // userinfo ends at the first '@': no '@' may appear unescaped after it in a SIP URI.
  let atSign = -1;
  let badUser = -1;
  for (let k = start; k < n; k++) {
    const c = (b[k] ?? 0xff);
    if (c === 0x40) {
      atSign = k;
      break;
    }
    if (badUser === -1 && (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22)) badUser = k;
  }
  let i = start;
  if (atSign !== -1) {
    if (atSign === start || (b[start] ?? 0xff) === 0x3a) bad('empty user part', start);
    if (badUser !== -1) bad('invalid character in user part', badUser);
    i = atSign + 1;
  }
  if (i < n && (b[i] ?? 0xff) === 0x5b) {
    const close = scanTo(b, i + 1, n, IPV6_CHAR);
    if (close === n || (b[close] ?? 0xff) !== 0x5d) {
      const bracket = s.indexOf(']', close);
      bad(bracket === -1 || bracket >= n ? 'unterminated IPv6 reference' : 'invalid IPv6 reference', i);
    }
    if (close === i + 1) bad('invalid IPv6 reference', i);
    i = close + 1;
  } else {
    const hostStart = i;
    i = scanTo(b, i, n, URI_HOST_NAME);
    if (i === hostStart) bad('missing host', i);
  }
  if (i < n && (b[i] ?? 0xff) === 0x3a) {
    const portStart = ++i;
    let value = 0;
    while (i < n) {
      const c = (b[i] ?? 0xff);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    if (i === portStart || i - portStart > 5 || value > 65535) bad('invalid port', portStart);
  }
  while (i < n && (b[i] ?? 0xff) === 0x3b) {
    const nameStart = ++i;
    i = scanTo(b, i, n, URI_PARAM_CHAR);
    if (i === nameStart) bad('empty URI parameter', i);
    if (i < n && (b[i] ?? 0xff) === 0x3d) i = scanTo(b, i + 1, n, URI_PARAM_CHAR);
  }
  let question = -1;
  if (i < n && (b[i] ?? 0xff) === 0x3f) {
    question = i;
    do {
      const hStart = ++i;
      i = scanTo(b, i, n, URI_HEADER_CHAR);
      let eq = hStart;
      while (eq < i && (b[eq] ?? 0xff) !== 0x3d) eq++;
      // `hname "=" hvalue`: a non-empty name before the first '='.
      if (eq === hStart || eq === i) bad('invalid URI header', hStart);
    } while (i < n && (b[i] ?? 0xff) === 0x26);
  }
  if (i !== n) bad('unexpected character in URI', i);
  return question;
}

/** True when `s[start, colon)` is `sip` or `sips`, in any case. */
function isSipScheme(s: string, start: number, colon: number): boolean {
  const len = colon - start;
  return (
    (len === 3 || (len === 4 && (s.charCodeAt(start + 3) | 0x20) === 0x73)) &&
    (s.charCodeAt(start) | 0x20) === 0x73 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x69 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x70
  );
}

/** True when `s[start, colon)` is `tel`, in any case. */
function isTelScheme(s: string, start: number, colon: number): boolean {
  return (
    colon - start === 3 &&
    (s.charCodeAt(start) | 0x20) === 0x74 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x65 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x6c
  );
}

/**
 * Validates the URI `s[start, end)`, whose scheme ends at the `:` at `colon` (from
 * `schemeEndAt`), in place: it accepts exactly what `parseUriOrThrow` accepts, building nothing.
 * sip/sips get the full RFC 3261 §19.1.1 check; `tel:` and other schemes get the same light
 * checks as `parseUri` (no whitespace or controls, a non-empty number or remainder, no empty
 * `tel:` parameters), not the absoluteURI character grammar.
 * @throws SipParseError `invalid-uri`, its offset the index of the fault in `s`
 * @example checkUriAt('From: <sip:alice@>', 7, 10, 17) // throws: missing host (at byte 17)
 * @see RFC 3261 §25.1 `SIP-URI`, `SIPS-URI`, `absoluteURI`; RFC 3966 §3
 */
export function checkUriAt(s: string, start: number, colon: number, end: number): void {
  if (isSipScheme(s, start, colon)) {
    // Whitespace and controls fail the character checks of every part of a SIP URI as well.
    checkSipUriAt(s, colon + 1, end);
    return;
  }
  for (let k = colon + 1; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f) bad('whitespace or control character in URI', k);
  }
  if (!isTelScheme(s, start, colon)) {
    if (colon + 1 === end) bad('empty URI', end);
    return;
  }
  // As the tel: parser: a non-empty number, then non-empty `;` parameters.
  if (colon + 1 === end || s.charCodeAt(colon + 1) === 0x3b) bad('empty tel number', colon + 1);
  for (let k = colon + 1; k < end; k++) {
    if (s.charCodeAt(k) === 0x3b && (k + 1 === end || s.charCodeAt(k + 1) === 0x3b)) bad('empty tel parameter', k + 1);
  }
}
