/**
 * The client's side of the exchange: reading challenges (WWW-Authenticate, Proxy-Authenticate),
 * picking the strongest supported one, negotiating the qop, and writing the credentials.
 * @see RFC 7616 §3.3, §3.4, §3.7 (choosing among several challenges); RFC 8760 §2.4; RFC 3261 §22.2–§22.3
 */
import type { AuthHeader } from '@sipts/message';
import { DIGEST_ALGORITHMS, normalizeAlgorithm, strengthOf, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { isDigest } from './auth-headers.js';
import { calculateDigest, formatNc } from './compute.js';
import { encodeExtValue, isPlainAscii, quote, unquote } from './quote.js';

/** A Digest challenge, read. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  domain: string | undefined;
  algorithm: DigestAlgorithm;
  /** The challenge named its algorithm (RFC 2069 and some RFC 2617 servers do not: then it is MD5). */
  algorithmGiven: boolean;
  /** The qops offered, lower-cased (empty: none, RFC 2069). */
  qops: string[];
  stale: boolean;
  userhash: boolean;
  /** `charset=UTF-8` was offered. */
  utf8: boolean;
}

/** A challenge from a header value, or undefined when it is not a Digest challenge this package can answer. */
export function readChallenge(h: AuthHeader): DigestChallenge | undefined {
  if (!isDigest(h)) return undefined;
  const realm = unquote(h.realm);
  const nonce = unquote(h.nonce);
  const algorithm = h.algorithm === undefined ? 'MD5' : normalizeAlgorithm(h.algorithm);
  if (realm === undefined || nonce === undefined || algorithm === undefined) return undefined;
  const qop = unquote(h.qop);
  return {
    realm,
    nonce,
    opaque: unquote(h.opaque),
    domain: unquote(h.domain),
    algorithm,
    algorithmGiven: h.algorithm !== undefined,
    qops: qop === undefined ? [] : qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== ''),
    stale: unquote(h.stale)?.toLowerCase() === 'true',
    userhash: unquote(h.userhash)?.toLowerCase() === 'true',
    utf8: unquote(h.charset)?.toLowerCase() === 'utf-8',
  };
}

/** What {@link pickChallenge} may choose from. */
export interface PickOptions {
  /** Only this realm. */
  realm?: string | undefined;
  /** Supported algorithms (default all). */
  algorithms?: readonly DigestAlgorithm[] | undefined;
  /** An extra test (e.g. a stored hash exists for the algorithm). */
  usable?: (c: DigestChallenge) => boolean;
}

/**
 * The strongest supported challenge (SHA-512/256, then SHA-256, then MD5; in the server's order
 * among equals), or undefined.
 * @see RFC 7616 §3.7, RFC 8760 §2.4
 */
export function pickChallenge(list: readonly AuthHeader[], options: PickOptions = {}): DigestChallenge | undefined {
  const supported = options.algorithms ?? DIGEST_ALGORITHMS;
  let best: DigestChallenge | undefined;
  for (const h of list) {
    const c = readChallenge(h);
    if (c === undefined || !supported.includes(c.algorithm)) continue;
    if (options.realm !== undefined && c.realm !== options.realm) continue;
    if (options.usable !== undefined && !options.usable(c)) continue;
    if (best === undefined || strengthOf(c.algorithm) > strengthOf(best.algorithm)) best = c;
  }
  return best;
}

/**
 * The qop to use: the first of `preference` that was offered; with no preference the first offered
 * one this package knows. Undefined when none was offered (RFC 2069); null when none fits.
 */
export function negotiateQop(offered: readonly string[], preference?: readonly string[]): DigestQop | undefined | null {
  if (offered.length === 0) return undefined;
  const order = preference ?? offered;
  for (const q of order) {
    if ((q === 'auth' || q === 'auth-int') && offered.includes(q)) return q;
  }
  return null;
}

/** What goes into one set of credentials. */
export interface CredentialInput {
  method: string;
  uri: string;
  body: string | Uint8Array;
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  /** Whether the challenge named the algorithm (RFC 2069/2617 servers may not). */
  sendAlgorithm: boolean;
  qop: DigestQop | undefined;
  nc: number | undefined;
  cnonce: string | undefined;
  /** The user's name, or H(user:realm) with `userhash`. */
  username: string;
  userhash: boolean;
  /** The server offered charset=UTF-8: a non-ASCII name goes as `username*`. */
  utf8: boolean;
  /** H(A1) for this nonce and cnonce. */
  ha1: string;
}

/**
 * Writes Digest credentials (the value of an Authorization or Proxy-Authorization header).
 * @see RFC 7616 §3.4, RFC 3261 §25.1 (digest-response)
 */
export function buildCredentials(input: CredentialInput): AuthHeader {
  const nc = input.nc === undefined ? undefined : formatNc(input.nc);
  const response = calculateDigest({
    ha1: input.ha1,
    method: input.method,
    uri: input.uri,
    nonce: input.nonce,
    nc,
    cnonce: input.cnonce,
    qop: input.qop,
    entity: input.body,
    algorithm: input.algorithm,
  });
  const h: AuthHeader = { scheme: 'Digest' };
  if (!input.userhash && input.utf8 && !isPlainAscii(input.username)) h['username*'] = encodeExtValue(input.username);
  else h.username = quote(input.username);
  h.realm = quote(input.realm);
  h.nonce = quote(input.nonce);
  h.uri = quote(input.uri);
  h.response = quote(response);
  if (input.sendAlgorithm) h.algorithm = input.algorithm;
  if (input.qop !== undefined) {
    h.cnonce = quote(input.cnonce ?? '');
    h.qop = input.qop;
    h.nc = nc;
  }
  if (input.opaque !== undefined) h.opaque = quote(input.opaque);
  if (input.userhash) h.userhash = 'true';
  return h;
}

/** The header values without those for `realm` (a new signature replaces the old one). */
export function withoutRealm(list: readonly AuthHeader[], realm: string): AuthHeader[] {
  return list.filter((h) => !(isDigest(h) && unquote(h.realm) === realm));
}
