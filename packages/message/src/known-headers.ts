/**
 * Fast recognition of common header names in place, without slicing or hashing: names are
 * grouped by length and compared case-insensitively character by character.
 */
import { COMPACT_FORMS } from './header-names.js';

/** Lower-case map for ASCII; 0 for anything that is not a token character we compare. */
const LOWER = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;

const COMMON = [
  'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'max-forwards', 'content-length', 'content-type', 'route',
  'record-route', 'path', 'expires', 'min-expires', 'subject', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'user-agent', 'server', 'date', 'www-authenticate', 'authorization', 'proxy-authenticate',
  'proxy-authorization', 'authentication-info', 'accept', 'accept-encoding', 'accept-language', 'event',
  'allow-events', 'subscription-state', 'refer-to', 'referred-by', 'session-expires', 'min-se', 'content-disposition',
  'content-encoding', 'content-language', 'privacy', 'p-asserted-identity', 'p-preferred-identity', 'reason',
  'timestamp', 'organization', 'priority', 'warning', 'retry-after', 'rseq', 'rack', 'mime-version', 'alert-info',
  'call-info', 'error-info', 'in-reply-to', 'reply-to', 'identity', 'sip-etag', 'sip-if-match', 'x-real-ip',
];

/** Candidates by `length * 128 + lower-case first char`: the key and its lower-case bytes. */
const candidates = new Map<number, { key: string; bytes: Uint8Array }[]>();
for (const name of COMMON) {
  const slot = name.length * 128 + name.charCodeAt(0);
  const list = candidates.get(slot) ?? [];
  list.push({ key: name, bytes: new TextEncoder().encode(name) });
  candidates.set(slot, list);
}
/** Dense (33 lengths × 128 first characters), so V8 keeps fast elements: a sparse array became a dictionary. */
const bySlot: ({ key: string; bytes: Uint8Array }[] | undefined)[] = new Array<undefined>(33 * 128).fill(undefined);
for (const [slot, list] of candidates) bySlot[slot] = list;

const compactByChar: (string | undefined)[] = [];
for (const [c, full] of Object.entries(COMPACT_FORMS)) compactByChar[c.charCodeAt(0)] = full;

/**
 * The object-model key of the header name `text[start, end)` when it is a common name or a
 * compact form, otherwise `undefined` (the caller falls back to slicing and validating).
 */
export function knownHeaderKey(text: string, start: number, end: number): string | undefined {
  const len = end - start;
  const c0 = text.charCodeAt(start);
  if (c0 >= 128 || len > 32) return undefined;
  const first = LOWER[c0] ?? 0;
  if (len === 1) return compactByChar[first];
  const list = bySlot[len * 128 + first];
  if (list === undefined) return undefined;
  outer: for (const cand of list) {
    const bytes = cand.bytes;
    for (let k = 1; k < len; k++) {
      const c = text.charCodeAt(start + k);
      if (c >= 128 || LOWER[c] !== bytes[k]) continue outer;
    }
    return cand.key;
  }
  return undefined;
}

/**
 * {@link knownHeaderKey} on bytes: the key of the header name `codes[start, end)`, read byte by
 * byte (a typed-array read is cheaper than `charCodeAt` in the parser's line loop).
 */
export function knownHeaderKeyAt(codes: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  const c0 = codes[start] ?? 0;
  if (c0 >= 128 || len > 32) return undefined;
  const first = LOWER[c0] ?? 0;
  if (len === 1) return compactByChar[first];
  const list = bySlot[len * 128 + first];
  if (list === undefined) return undefined;
  outer: for (const cand of list) {
    const bytes = cand.bytes;
    for (let k = 1; k < len; k++) {
      const c = codes[start + k] ?? 0;
      if (c >= 128 || LOWER[c] !== bytes[k]) continue outer;
    }
    return cand.key;
  }
  return undefined;
}
