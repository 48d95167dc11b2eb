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

/** Index after the last non-SP/HTAB character before `end`. */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

/** An IPv6 address given without brackets gets them (RFC 3261 §25.1 `IPv6reference`, RFC 5118). */
export function bracketIpv6(host: string): string {
  return host.indexOf(':') !== -1 && host.charCodeAt(0) !== 0x5b ? '[' + host + ']' : host;
}
