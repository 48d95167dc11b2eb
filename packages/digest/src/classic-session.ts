/**
 * The classic API's session: a plain object of strings, numbers and booleans that survives
 * `JSON.stringify`/`JSON.parse` between calls, so it can live in a database. Also the classic
 * module's one piece of state: the key of its nonces (the singleton the classic API needs).
 * @see docs/CLASSIC-API.md "Submodules" (`sip/digest`)
 */
import { DIGEST_ALGORITHMS, normalizeAlgorithm, strengthOf, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { createNonceFactory, nonceTime, type NonceFactory } from './nonce.js';
import { randomBytes } from './random.js';

/**
 * A classic digest session. Server side, `realm` is required (and `qop`, `algorithm`, `opaque`,
 * `domain`, `nonceLifetime` may be preset); client side it starts empty. Every field is a string,
 * number or boolean: store it as JSON between calls.
 */
export interface DigestSession {
  /** The protection realm. */
  realm?: string;
  /** The challenge was a 407 (Proxy-Authenticate / Proxy-Authorization / Proxy-Authentication-Info). */
  proxy?: boolean;
  /** The nonce in use. */
  nonce?: string;
  /** Server: the highest nc the client has used with `nonce`. Client: the last nc sent. */
  nc?: number;
  /** Server: the qops offered (`'auth,auth-int'` by default, `''` for RFC 2069). Client: the qop in use. */
  qop?: string;
  /** Server: the algorithms offered, comma-separated, any case (`'md5'` by default). Client: the one in use. */
  algorithm?: string;
  opaque?: string;
  domain?: string;
  /** The client nonce of the last authenticated request (server) or in use (client). */
  cnonce?: string;
  /** The digest-uri of the last request. */
  uri?: string;
  /** The user's name. */
  user?: string;
  /** H(user:realm:password), cached so that later calls need no credentials (the classic name). */
  userhash?: string;
  /** The hash `userhash` was computed with (`MD5`, `SHA-256`, `SHA-512-256`). */
  hashAlgorithm?: string;
  /** H(A1) of the last exchange. */
  ha1?: string;
  /** Server: the nonce handed out as `nextnonce`, accepted from then on. */
  nextnonce?: string;
  /** Server: the last request had a right digest on an expired nonce; the next challenge says `stale=true`. */
  stale?: boolean;
  /** Server: nonce lifetime in ms (default 300,000). */
  nonceLifetime?: number;
  /** Server: the qop of the last authenticated request. */
  lastQop?: string;
  /** Server: the algorithm of the last authenticated request. */
  lastAlgorithm?: string;
  /** Client: the server offered `userhash=true`: the username is sent as H(user:realm). */
  sendUserhash?: boolean;
  /** Client: the server offered `charset=UTF-8`. */
  utf8?: boolean;
  /** Application fields are kept as they are. */
  [field: string]: string | number | boolean | null | undefined;
}

/** The classic `credentials` argument. */
export interface DigestCredentials {
  /** The user's account name. */
  user?: string;
  /** Optional; must be the session's realm when given. */
  realm?: string;
  /** The password; optional when `hash` is given. */
  password?: string;
  /** H(user:realm:password) (see `calculateUserRealmPasswordHash`); optional when `password` is given. */
  hash?: string;
}

/** Default nonce lifetime of the classic API (5 minutes, as kamailio's `nonce_expire`). */
export const CLASSIC_NONCE_LIFETIME = 300_000;

let classicNonces: NonceFactory | undefined;

/**
 * The classic module's nonce factory (created on first use with a random key). Sessions keep their
 * nonce, so the classic server checks the nonce against the session and only reads its time.
 */
export function classicNonceFactory(): NonceFactory {
  classicNonces ??= createNonceFactory({ secret: randomBytes(32), lifetime: CLASSIC_NONCE_LIFETIME });
  return classicNonces;
}

/** The algorithms a classic server session offers, strongest first (MD5 when none is known). */
export function offeredAlgorithms(session: DigestSession): DigestAlgorithm[] {
  const list = (session.algorithm ?? 'md5')
    .split(',')
    .map((a) => normalizeAlgorithm(a))
    .filter((a): a is DigestAlgorithm => a !== undefined);
  const unique = [...new Set(list)].sort((a, b) => strengthOf(b) - strengthOf(a) || DIGEST_ALGORITHMS.indexOf(a) - DIGEST_ALGORITHMS.indexOf(b));
  return unique.length > 0 ? unique : ['MD5'];
}

/** The qops a classic server session offers. */
export function offeredQops(session: DigestSession): DigestQop[] {
  return (session.qop ?? 'auth,auth-int')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q): q is DigestQop => q === 'auth' || q === 'auth-int');
}

/** True when the session's nonce is older than its lifetime (or from the future beyond 3 s). */
export function nonceExpired(session: DigestSession, nonce: string, now: number): boolean {
  const issued = nonceTime(nonce);
  if (issued === undefined) return false;
  return now - issued > (session.nonceLifetime ?? CLASSIC_NONCE_LIFETIME) || issued - now > 3000;
}

/** The age of a nonce in ms, or undefined for a nonce without a time. */
export function nonceAge(nonce: string, now: number): number | undefined {
  const issued = nonceTime(nonce);
  return issued === undefined ? undefined : now - issued;
}
