/**
 * How the parser stores each header: a small number per kind, so the line loop dispatches with
 * one integer `switch` instead of set lookups and string comparisons per line.
 * @see RFC 3261 §20 (the headers), RFC 4475 §3.1.2.12 (which ones may wait for their first read)
 */

/**
 * Header kinds; a `const enum`, so the bundler writes the numbers in place. Their keys are listed
 * in kind order in known-headers.ts (`COMMON`), whose name match hands each its kind.
 */
export const enum Kind {
  /** Kept as its text (repeated lines joined with `,`). */
  Text,
  // The scalar kinds: their value is one string (a folded one is unfolded first).
  CallId,
  ContentLength,
  MaxForwards,
  /** Text, checked as an RFC 1123 GMT date; in the liberal mode a bad one is a fault, not an error. */
  Date,
  // The structured kinds, read by the byte scanners; `Kind.Via` to `Kind.ReferTo` parse a folded value in place.
  Via,
  From,
  To,
  CSeq,
  Route,
  // The lazy kinds (lazy-headers.ts) come last: `kind >= Kind.Contact` tells them apart.
  Contact,
  RecordRoute,
  Path,
  ReferTo,
  /** WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization: always deferred. */
  Auth,
  /** Authentication-Info, Proxy-Authentication-Info: always deferred. */
  AuthInfo,
}
