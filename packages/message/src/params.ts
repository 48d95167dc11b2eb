/**
 * Header parameters and quoted strings (RFC 3261 §25.1: `generic-param`, `quoted-string`, `SEMI`).
 * Scanners take the text and absolute offsets, so header values are never sliced to be read.
 */
import { PARAM_VALUE, TOKEN } from './chars.js';
import { SipParseError, type SipParseErrorCode } from './errors.js';
import { codesFor, cut } from './scan-source.js';
import type { Params } from './types.js';

/**
 * Index just after the closing quote of the quoted-string that opens at `i` (`b[i]` is `"`) in the
 * codes `b` of the text (see scan-source.ts), looking no further than `end`. A backslash escapes
 * any next character (quoted-pair).
 * @throws SipParseError `unterminated-quote` when the string never closes.
 */
export function endOfQuotedCodes(b: Uint8Array, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === 0x22) return j + 1;
    if (c === 0x5c) j++;
  }
  throw new SipParseError('unterminated-quote', 'quoted string is not terminated', i);
}

/** {@link scan} on the codes `b` of the text: a typed-array read costs about half a `charCodeAt`. */
export function scanCodes(b: Uint8Array, i: number, t: Uint8Array): number {
  for (;;) {
    const c = b[i] ?? 0xff;
    if (!(c < 128 && t[c] === 1)) return i;
    i++;
  }
}

/** Index of the first char at or after `i` that is not in table `t` (chars ≥ 128 never are). */
export function scan(s: string, i: number, t: Uint8Array): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (!(c < 128 && t[c] === 1)) return i;
    i++;
  }
}

/**
 * Parses `*( SEMI generic-param )` from `i` (not past `end`) into `params` and returns the index
 * where the parameters end: at a `,`, at `end`, or at anything that is not `;`. Names are
 * lower-cased; values are kept as written, quoted strings with their quotes; a parameter
 * without `=` maps to `null`.
 * @throws SipParseError with `code` on an empty name or value
 */
export function parseParams(s: string, i: number, end: number, params: Params, code: SipParseErrorCode): number {
  return parseParamsCodes(s, codesFor(s), i, end, params, code);
}

/** {@link parseParams} reading the codes `b` of `s` (see scan-source.ts). */
export function parseParamsCodes(s: string, b: Uint8Array, i: number, end: number, params: Params, code: SipParseErrorCode): number {
  for (;;) {
    let c = (b[i] ?? NaN);
    while (c === 0x20 || c === 0x09) c = (b[++i] ?? NaN);
    if (i >= end || c !== 0x3b) return i;
    c = (b[++i] ?? NaN);
    while (c === 0x20 || c === 0x09) c = (b[++i] ?? NaN);
    const nameStart = i;
    i = scanCodes(b, i, TOKEN);
    if (i === nameStart || i > end) throw new SipParseError(code, 'empty parameter name', i);
    let name = s.slice(nameStart, i);
    for (let k = 0; k < name.length; k++) {
      const u = name.charCodeAt(k);
      if (u >= 0x41 && u <= 0x5a) {
        name = name.toLowerCase();
        break;
      }
    }
    let j = i;
    c = (b[j] ?? NaN);
    while (c === 0x20 || c === 0x09) c = (b[++j] ?? NaN);
    let value: string | null = null;
    if (c === 0x3d && j < end) {
      c = (b[++j] ?? NaN);
      while (c === 0x20 || c === 0x09) c = (b[++j] ?? NaN);
      const valueStart = j;
      j = c === 0x22 ? endOfQuotedCodes(b, j, end) : scanCodes(b, j, PARAM_VALUE);
      if (j === valueStart || j > end) throw new SipParseError(code, `parameter '${name}' has no value`, j);
      value = cut(s, valueStart, j);
      i = j;
    }
    // Named stores for the common parameters keep parameter objects on a few fast shapes.
    if (name === 'tag') params.tag = value;
    else if (name === 'branch') params.branch = value;
    else if (name === 'rport') params.rport = value;
    else if (name === 'received') params.received = value;
    else if (name === 'lr') params.lr = value;
    else if (name === 'transport') params.transport = value;
    else if (name === 'expires') params.expires = value;
    else if (name === '__proto__') Object.defineProperty(params, name, { value, writable: true, enumerable: true, configurable: true });
    else params[name] = value;
  }
}

/** Writes parameters as `;name=value`, `;name` for `null`; `undefined` values are skipped. */
export function stringifyParams(params: Params | undefined): string {
  let out = '';
  if (params === undefined) return out;
  for (const name in params) {
    const v = params[name];
    if (v === undefined) continue;
    // null and '' are valueless (`;lr`); numbers are written, 0 included (`;expires=0`).
    out += v === null || v === '' ? ';' + name : ';' + name + '=' + String(v);
  }
  return out;
}
