/**
 * Header names: compact forms, canonical wire spellings and the lower-case keys of the object model.
 * @see RFC 3261 §7.3.3 and §20; compact forms registered later in the IANA SIP parameters registry.
 */

/**
 * Compact form → full lower-case name. `e` is Content-Encoding (the classic library's
 * `contact-encoding` is a typo it never fixed).
 */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

/** Lower-case names whose canonical wire spelling is not plain Title-Case. */
const SPECIAL_SPELLINGS: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'p-asserted-identity': 'P-Asserted-Identity',
  'rack': 'RAck',
  'rseq': 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'identity-info': 'Identity-Info',
};

const canonicalCache = new Map<string, string>();

/**
 * The canonical wire spelling of a lower-case header key: `call-id` → `Call-ID`,
 * `www-authenticate` → `WWW-Authenticate`, `x-foo-bar` → `X-Foo-Bar`.
 */
export function canonicalHeaderName(key: string): string {
  let name = canonicalCache.get(key);
  if (name !== undefined) return name;
  name = (Object.hasOwn(SPECIAL_SPELLINGS, key) ? SPECIAL_SPELLINGS[key] : undefined) ?? key.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
  if (canonicalCache.size < 1024) canonicalCache.set(key, name);
  return name;
}

const compactMap = new Map<string, string>(Object.entries(COMPACT_FORMS));
const keyCache = new Map<string, string>();
for (const [compact, full] of compactMap) {
  keyCache.set(compact, full);
  keyCache.set(compact.toUpperCase(), full);
}

/** The full lower-case name for a compact form, or the name itself. */
export function expandCompactForm(lowerName: string): string {
  return compactMap.get(lowerName) ?? lowerName;
}

/**
 * The object-model key for a header name as written on the wire: lower-cased, compact forms
 * expanded. The caller has checked that `name` is a token.
 */
export function headerKey(name: string): string {
  let key = keyCache.get(name);
  if (key !== undefined) return key;
  const lower = name.toLowerCase();
  key = compactMap.get(lower) ?? lower;
  // Remember the spellings we see (bounded, so hostile names cannot grow it without limit).
  if (keyCache.size < 2048) keyCache.set(name, key);
  return key;
}
