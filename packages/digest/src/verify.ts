/**
 * Server-side verification of Digest credentials: every check RFC 7616 asks for, in an order that
 * sets `stale` only for a correct digest on an expired nonce, and that never throws.
 * @see RFC 7616 §3.3, §3.4, §3.5, §5.5; RFC 2617 §3.2.2, §3.2.2.5; RFC 3261 §22.4
 */
import { SipError, uriEquals, type AuthHeader, type SipRequest } from '@sipts/message';
import { hashOf, kdHex, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { bodyOf, headerNames, isDigest, readAuthHeaders, requestUriOf } from './auth-headers.js';
import { calculateDigest, sessionHA1 } from './compute.js';
import { parseCredentials } from './credentials.js';
import type { NonceCountResult, NonceCountStore, NonceUse, SyncNonceCountStore } from './nonce-count-store.js';
import type { NonceFactory } from './nonce.js';
import { unquote } from './quote.js';
import { userRealmPasswordHash, type DigestSecret } from './secret.js';
import { timingSafeEqual } from './timing-safe-equal.js';

/** A user's stored credentials: the name and a {@link DigestSecret}. */
export interface StoredCredentials extends DigestSecret {
  username: string;
}

/** What a credential lookup is asked for. */
export interface CredentialQuery {
  /** The username as sent; with `userhash`, the hash H(user:realm) (see `calculateUserhash`). */
  username: string;
  userhash: boolean;
  realm: string;
  algorithm: DigestAlgorithm;
}

/** The user's credentials, or a lookup that finds them (undefined: no such user). */
export type CredentialSource = StoredCredentials | ((query: CredentialQuery) => StoredCredentials | undefined);

/** Why verification failed. */
export type DigestFailureReason =
  | 'no-credentials'
  | 'malformed'
  | 'wrong-realm'
  | 'unsupported-algorithm'
  | 'qop-required'
  | 'qop-not-offered'
  | 'wrong-uri'
  | 'wrong-opaque'
  | 'invalid-nonce'
  | 'unknown-user'
  | 'wrong-password'
  | 'stale-nonce'
  | 'replay';

/** Verified credentials: who, and what {@link DigestServer.sign} needs for Authentication-Info. */
export interface DigestSuccess {
  ok: true;
  /** The user's name (the stored one, also when the client sent a userhash). */
  username: string;
  realm: string;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
  nonce: string;
  nc: number | undefined;
  cnonce: string | undefined;
  /** The digest-uri the client signed. */
  uri: string;
  proxy: boolean;
  /** H(A1) of this session (secret-derived: do not log it). */
  ha1: string;
  /** When the nonce was issued (ms). */
  issuedAt: number;
}

/** Failed verification: the status to answer and whether the challenge says `stale=true`. */
export interface DigestFailure {
  ok: false;
  /** 400 for malformed credentials or a uri that is not the Request-URI; else 401 (407 for a proxy). */
  status: 400 | 401 | 407;
  reason: DigestFailureReason;
  /** The digest was right but the nonce too old (or reused without a qop): retry without asking the user. */
  stale: boolean;
  message: string;
  proxy: boolean;
}

/** The outcome of verifying a request. */
export type DigestVerification = DigestSuccess | DigestFailure;

/** The server settings verification reads. */
export interface VerifyContext {
  realm: string;
  algorithms: readonly DigestAlgorithm[];
  qop: readonly DigestQop[];
  acceptNoQop: boolean;
  opaque: string | undefined;
  lifetime: number;
  nonces: NonceFactory;
  nonceCounts: NonceCountStore;
  now: () => number;
}

/** Credentials that passed every check but the nonce count: the use to record, and the answers. */
interface Counted {
  use: NonceUse;
  success: DigestSuccess;
  /** The failure for each count the store may answer. */
  replay: DigestFailure;
  forgotten: DigestFailure;
}

function settle(step: Counted, counted: NonceCountResult): DigestVerification {
  if (counted === 'forgotten') return step.forgotten;
  if (counted === 'replay') return step.replay;
  return step.success;
}

/**
 * Verifies the Digest credentials of `request` for `ctx.realm` with a synchronous count store.
 * @throws SipError `invalid-argument` when the store answers with a promise (use {@link verifyRequestAsync})
 * @see RFC 7616 §3.4, §3.5
 */
export function verifyRequest(ctx: VerifyContext, request: SipRequest, source: CredentialSource, proxy: boolean): DigestVerification {
  const step = checkRequest(ctx, request, source, proxy);
  if (!('use' in step)) return step;
  const counted = (ctx.nonceCounts as SyncNonceCountStore).advance(step.use);
  if (typeof counted !== 'string') throw new SipError('invalid-argument', 'this nonce-count store answers asynchronously: use verifyAsync');
  return settle(step, counted);
}

/**
 * Verifies the Digest credentials of `request`, awaiting the count store (which may be shared by
 * several servers, e.g. in Redis). A store that fails rejects the promise.
 * @see RFC 7616 §3.4, §3.5, §5.5
 */
export async function verifyRequestAsync(ctx: VerifyContext, request: SipRequest, source: CredentialSource, proxy: boolean): Promise<DigestVerification> {
  let step: DigestFailure | Counted;
  try {
    step = checkRequest(ctx, request, source, proxy);
  } catch (e) {
    return unreadableCredentials(e, proxy);
  }
  if (!('use' in step)) return step;
  return settle(step, await ctx.nonceCounts.advance(step.use));
}

/** Finds the user's stored credentials, or undefined. */
function lookup(source: CredentialSource, query: CredentialQuery): StoredCredentials | undefined {
  const found = typeof source === 'function' ? source(query) : source;
  if (found === undefined) return undefined;
  if (!query.userhash) return found.username === query.username ? found : undefined;
  const expected = kdHex(hashOf(query.algorithm), found.username, query.realm);
  return timingSafeEqual(expected, query.username.toLowerCase()) ? found : undefined;
}

function sameUri(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return uriEquals(a, b);
  } catch {
    return false;
  }
}

/** A throwing credential lookup or a message object of the wrong shape: still an answer (400). */
export function unreadableCredentials(e: unknown, proxy: boolean): DigestFailure {
  return { ok: false, status: 400, reason: 'malformed', stale: false, message: e instanceof Error ? e.message : 'unreadable credentials', proxy };
}

/** Every check but the nonce count: a failure, or what to count. */
function checkRequest(ctx: VerifyContext, request: SipRequest, source: CredentialSource, proxy: boolean): DigestFailure | Counted {
  const fail = (status: 400 | 401, reason: DigestFailureReason, message: string, stale = false): DigestFailure => ({
    ok: false,
    status: status === 401 && proxy ? 407 : status,
    reason,
    stale,
    message,
    proxy,
  });
  const { list, malformed } = readAuthHeaders(request, headerNames(proxy).credentials);
  const digest = list.filter(isDigest);
  const ours: AuthHeader | undefined = digest.find((h) => unquote(h.realm) === ctx.realm);
  if (ours === undefined) {
    if (malformed) return fail(400, 'malformed', 'an authorization header could not be read');
    if (digest.length === 0) return fail(401, 'no-credentials', 'no Digest credentials');
    return fail(401, 'wrong-realm', `no credentials for realm '${ctx.realm}'`);
  }
  const parsed = parseCredentials(ours);
  if (!parsed.ok) return fail(400, 'malformed', parsed.message);
  const c = parsed.value;
  const algorithm = c.algorithm;
  if (algorithm === undefined || !ctx.algorithms.includes(algorithm)) return fail(401, 'unsupported-algorithm', `algorithm '${c.algorithmToken}' was not offered`);
  if (c.qop === undefined) {
    if (ctx.qop.length > 0 && !ctx.acceptNoQop) return fail(401, 'qop-required', 'the credentials have no qop but one was offered');
  } else if (!ctx.qop.includes(c.qop)) {
    return fail(401, 'qop-not-offered', `qop '${c.qop}' was not offered`);
  }
  if (!sameUri(c.uri, requestUriOf(request))) return fail(400, 'wrong-uri', 'the digest uri is not the Request-URI');
  if (ctx.opaque !== undefined && c.opaque !== ctx.opaque) return fail(401, 'wrong-opaque', 'the opaque value is not the one sent');

  const now = ctx.now();
  const nonce = ctx.nonces.check(c.nonce, ctx.realm, now);
  if (!nonce.valid) return fail(401, 'invalid-nonce', 'the nonce was not issued by this server');

  const user = lookup(source, { username: c.username, userhash: c.userhash, realm: ctx.realm, algorithm });
  if (user === undefined) return fail(401, 'unknown-user', 'unknown user');
  const base = userRealmPasswordHash(user, user.username, ctx.realm, hashOf(algorithm));
  if (base === undefined) return fail(401, 'unsupported-algorithm', `no stored hash for ${algorithm}`);
  const ha1 = sessionHA1(algorithm, base, c.nonce, c.cnonce);
  const expected = calculateDigest({
    ha1,
    method: request.method,
    uri: c.uri,
    nonce: c.nonce,
    nc: c.ncText,
    cnonce: c.cnonce,
    qop: c.qop,
    entity: bodyOf(request),
    algorithm,
  });
  if (!timingSafeEqual(expected, c.response)) return fail(401, 'wrong-password', 'the digest does not match');

  if (nonce.expired) return fail(401, 'stale-nonce', 'the nonce has expired', true);
  // Without a qop there is no nc: each nonce is good for one request (RFC 2617 §3.2.2 one-time nonces).
  return {
    use: { nonce: c.nonce, nc: c.nc ?? 1, issuedAt: nonce.issuedAt, expiresAt: nonce.issuedAt + ctx.lifetime, username: user.username },
    forgotten: fail(401, 'stale-nonce', 'the nonce is no longer tracked', true),
    replay: fail(401, 'replay', c.qop === undefined ? 'the nonce was already used' : `nc ${c.ncText ?? ''} is not above the last one`, c.qop === undefined),
    success: {
      ok: true,
      username: user.username,
      realm: ctx.realm,
      algorithm,
      qop: c.qop,
      nonce: c.nonce,
      nc: c.nc,
      cnonce: c.cnonce,
      uri: c.uri,
      proxy,
      ha1,
      issuedAt: nonce.issuedAt,
    },
  };
}
