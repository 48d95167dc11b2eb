/**
 * Fast recognition of common header names in place, without slicing or hashing: names are
 * grouped by length and compared case-insensitively character by character.
 */
import { COMPACT_FORMS } from './header-names.js';
import { Kind } from './header-kinds.js';

/** A header name the parser recognises in place: its object-model key and its kind (header-kinds.ts). */
export interface KnownHeader {
  readonly key: string;
  readonly kind: Kind;
  /** The key's lower-case bytes. */
  readonly bytes: Uint8Array;
}

/** Lower-case map for ASCII; 0 for anything that is not a token character we compare. */
const LOWER = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;

/**
 * The names recognised in place. The first nineteen are the keys of the kinds from `Kind.Via` to
 * `Kind.AuthInfo` (see {@link KIND_ORDER}); the rest are kept as text.
 */
const COMMON = [
  'via', 'from', 'to', 'cseq', 'call-id', 'content-length', 'max-forwards', 'route', 'date', 'contact', 'record-route',
  'path', 'refer-to', 'www-authenticate', 'proxy-authenticate', 'authorization', 'proxy-authorization',
  'authentication-info', 'proxy-authentication-info',
  'content-type', 'expires', 'min-expires', 'subject', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'user-agent', 'server', 'accept', 'accept-encoding', 'accept-language', 'event',
  'allow-events', 'subscription-state', 'referred-by', 'session-expires', 'min-se', 'content-disposition',
  'content-encoding', 'content-language', 'privacy', 'p-asserted-identity', 'p-preferred-identity', 'reason',
  'timestamp', 'organization', 'priority', 'warning', 'retry-after', 'rseq', 'rack', 'mime-version', 'alert-info',
  'call-info', 'error-info', 'identity', 'sip-etag', 'sip-if-match',
];

/** The kinds of the first names of {@link COMMON}, in order; every later one is `Kind.Text`. */
const KIND_ORDER: readonly Kind[] = [
  Kind.Via, Kind.From, Kind.To, Kind.CSeq, Kind.CallId, Kind.ContentLength, Kind.MaxForwards, Kind.Route, Kind.Date,
  Kind.Contact, Kind.RecordRoute, Kind.Path, Kind.ReferTo, Kind.Auth, Kind.Auth, Kind.Auth, Kind.Auth, Kind.AuthInfo, Kind.AuthInfo,
];

/** Every name of {@link COMMON} with its kind. */
const ALL: readonly KnownHeader[] = COMMON.map((key, i) => ({ key, kind: KIND_ORDER[i] ?? Kind.Text, bytes: new TextEncoder().encode(key) }));

/**
 * The headers that may wait for their first read in the liberal mode (lazy-headers.ts): the
 * authentication headers always (their parse costs several times an accessor define, and only the
 * digest layer reads them); Contact, Record-Route, Path and Refer-To only when they fail to parse
 * (parsing a usual one costs less than deferring it). Everything else is parsed up front: Via,
 * From, To, Call-ID, CSeq, Max-Forwards, Content-Length (RFC 3261 §8.2, §17, §18), Route (§16.4),
 * and every header kept as text. Every name with a kind other than `Kind.Text` is in {@link COMMON},
 * so any other name is text.
 */
export const LAZY: readonly KnownHeader[] = ALL.filter((h) => h.kind >= Kind.Contact);

/** Candidates by `length * 128 + lower-case first char`. */
const candidates = new Map<number, KnownHeader[]>();
for (const h of ALL) {
  const slot = h.key.length * 128 + h.key.charCodeAt(0);
  const list = candidates.get(slot) ?? [];
  list.push(h);
  candidates.set(slot, list);
}
/** Dense (33 lengths × 128 first characters), so V8 keeps fast elements: a sparse array became a dictionary. */
const bySlot: (KnownHeader[] | undefined)[] = new Array<undefined>(33 * 128).fill(undefined);
for (const [slot, list] of candidates) bySlot[slot] = list;

const compactByChar: (KnownHeader | undefined)[] = [];
for (const [c, full] of Object.entries(COMPACT_FORMS)) {
  compactByChar[c.charCodeAt(0)] = ALL.find((h) => h.key === full) ?? { key: full, kind: Kind.Text, bytes: new TextEncoder().encode(full) };
}

/**
 * The header named by the bytes `codes[start, end)` when it is a common name or a compact form,
 * compared case-insensitively byte by byte, otherwise `undefined` (the caller falls back to
 * slicing the name and looking its key up).
 */
export function knownHeaderAt(codes: Uint8Array, start: number, end: number): KnownHeader | undefined {
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
    return cand;
  }
  return undefined;
}
