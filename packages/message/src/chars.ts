/**
 * Character-class tables for the hand-written scanners (RFC 3261 §25.1).
 * Indexing a Uint8Array by char code is faster than a regex per header.
 */

function table(chars: string, ranges: [number, number][] = []): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) t[c] = 1;
  return t;
}

const ALNUM: [number, number][] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** `token` characters: alphanum and `-.!%*_+\`'~` (RFC 3261 §25.1). */
export const TOKEN = table("-.!%*_+`'~", ALNUM);

/** Characters allowed in a generic parameter value besides token: IPv6 brackets and colons. */
export const PARAM_VALUE = table("-.!%*_+`'~[]:/&$", ALNUM);

/** Characters of a URI scheme after the first letter (RFC 3261 §25.1 `scheme`). */
export const SCHEME = table('+-.', ALNUM);

/** RFC 3261 `paramchar` in a URI parameter (param-unreserved, unreserved, escaped). */
export const URI_PARAM_CHAR = table("[]/:&+$-_.!~*'()%", ALNUM);

/** RFC 3261 `hname`/`hvalue` characters of a URI header, with the `=` between them. */
export const URI_HEADER_CHAR = table("[]/?:+$-_.!~*'()%=", ALNUM);

/** URI host name and IPv4 characters (`_` tolerated, as deployed DNS names carry it). */
export const URI_HOST_NAME = table('-._', ALNUM);

/** Characters inside an IPv6 reference's brackets (RFC 5118 allows the IPv4-mapped dotted tail). */
export const IPV6_CHAR = table(':.abcdefABCDEF', [[0x30, 0x39]]);

/** Host name, IPv4 and IPv6-reference characters. */
export const HOST = table('-.[]:', ALNUM);

/** True for `c` in the table; every char code ≥ 128 is false. */
export function inTable(t: Uint8Array, c: number): boolean {
  return c < 128 && t[c] === 1;
}

/** True when the whole string is one `token`. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

/** SP or HTAB. */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-SP/HTAB character at or after `i`. */
export function skipWsp(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 0x20 || c === 0x09) c = s.charCodeAt(++i);
  return i;
}

/** Index after the last non-SP/HTAB code of `b` in `[start, end)` (see scan-source.ts). */
export function trimEndCodes(b: Uint8Array, start: number, end: number): number {
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
  return end;
}

/** An IPv6 address given without brackets gets them (RFC 3261 §25.1 `IPv6reference`, RFC 5118). */
export function bracketIpv6(host: string): string {
  return host.indexOf(':') !== -1 && host.charCodeAt(0) !== 0x5b ? '[' + host + ']' : host;
}

/** {@link skipWsp} on the codes of a text (see scan-source.ts). */
export function skipWspCodes(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 0x20 || c === 0x09) c = b[++i];
  return i;
}
