/**
 * Parsers for the scalar headers the stack reads up front: CSeq, Content-Length, Max-Forwards,
 * Date (RFC 3261 §20.16, §20.14, §20.22, §20.17).
 */
import { TOKEN } from './chars.js';
import { SipParseError } from './errors.js';
import { scanCodes } from './params.js';
import { codesFor } from './scan-source.js';
import { methodAt } from './methods.js';
import type { CSeq } from './types.js';

/** Largest CSeq sequence number a receiver accepts: 2^32 − 1 (RFC 3261 §8.1.1.5). */
export const MAX_CSEQ = 0xffffffff;

/**
 * Parses the CSeq value `s[start, end)`: `1*DIGIT LWS Method`. Offsets in errors are in `s`.
 * @throws SipParseError `invalid-cseq` (missing method, or a number above 2^32 − 1)
 */
export function parseCSeqAt(s: string, start: number, end: number): CSeq {
  const b = codesFor(s);
  let i = start;
  let seq = 0;
  for (let c = b[i] ?? NaN; c >= 0x30 && c <= 0x39 && i < end; c = b[++i] ?? NaN) seq = seq * 10 + (c - 0x30);
  if (i === start || seq > MAX_CSEQ) throw new SipParseError('invalid-cseq', 'CSeq number missing or above 2^32-1', start);
  let m = i;
  while (b[m] === 0x20 || b[m] === 0x09) m++;
  if (m === i) throw new SipParseError('invalid-cseq', 'expected whitespace after the CSeq number', i);
  const mEnd = scanCodes(b, m, TOKEN);
  if (mEnd === m || mEnd !== end) throw new SipParseError('invalid-cseq', 'invalid CSeq method', m);
  return { seq, method: methodAt(s, m, mEnd) };
}

/**
 * Parses a CSeq value.
 * @throws SipParseError `invalid-cseq`
 * @example parseCSeq('314159 INVITE') // { seq: 314159, method: 'INVITE' }
 * @see RFC 3261 §20.16
 */
export function parseCSeq(s: string): CSeq {
  return parseCSeqAt(s, 0, s.length);
}

/**
 * Parses a non-negative decimal header value with an upper bound.
 * Returns -1 when the value is not `1*DIGIT` or exceeds `max`.
 */
export function parseBoundedInt(s: string, max: number): number {
  const n = s.length;
  if (n === 0) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v > max ? -1 : v;
}

const RFC1123 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/** True when `s` is an RFC 3261 §20.17 SIP-date (RFC 1123 form, GMT only). */
export function isSipDate(s: string): boolean {
  return RFC1123.test(s);
}
