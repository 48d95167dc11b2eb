/**
 * A Digest server (registrar, proxy, UAS): challenges with one header per algorithm, strongest
 * first; stateless HMAC nonces with expiry (`stale=true`); replay protection from the client's
 * `nc`; and Authentication-Info (or Proxy-Authentication-Info) with `rspauth` and `nextnonce`.
 * @see RFC 7616 §3.3–§3.5, RFC 8760 §2.4 (several challenges), RFC 3261 §22.4, RFC 7615
 */
import { makeResponse, SipError, type AuthHeader, type AuthInfo, type SipRequest, type SipResponse } from '@sipts/message';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { normalizeAlgorithm, strengthOf, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { bodyOf, headerNames } from './auth-headers.js';
import { calculateDigest, formatNc } from './compute.js';
import { createMemoryNonceCountStore, type NonceCountStore } from './nonce-count-store.js';
import { createNonceFactory, secretBytes } from './nonce.js';
import { quote } from './quote.js';
import { randomBytes, toBase64Url } from './random.js';
import { unreadableCredentials, verifyRequest, verifyRequestAsync, type CredentialSource, type DigestFailure, type DigestSuccess, type DigestVerification, type VerifyContext } from './verify.js';

/** Options of {@link createDigestServer}. */
export interface DigestServerOptions {
  /** The protection realm (RFC 3261 §22.1: usually the domain). */
  realm: string;
  /**
   * The nonce HMAC key. Instances sharing it accept each other's nonces. Default: 32 random bytes
   * (this instance only).
   */
  secret?: Uint8Array | string;
  /** Algorithms offered, one challenge each, sent strongest first. Default `['SHA-256', 'MD5']`. */
  algorithms?: readonly DigestAlgorithm[];
  /** Qops offered. Default `['auth']`; `[]` is the RFC 2069 form (no qop, one request per nonce). */
  qop?: readonly DigestQop[];
  /** Accept RFC 2069 credentials (no qop) although a qop was offered. Default false. */
  acceptNoQop?: boolean;
  /** Nonce lifetime in ms (default 300,000): older nonces are answered `stale=true`. */
  nonceLifetime?: number;
  /** Age in ms after which Authentication-Info carries a `nextnonce` (default half the lifetime). */
  nextNonceAfter?: number;
  /** Allowed clock skew between instances for nonce issue times, in ms (default 3000). */
  maxDrift?: number;
  /** The opaque value; default derived from the secret; `null` for none. */
  opaque?: string | null;
  /** Offer `userhash=true` (RFC 7616 §3.4.4). Default false. */
  userhash?: boolean;
  /** Send `charset=UTF-8` (RFC 7616 §3.3). Default false; names and passwords are UTF-8 either way. */
  charset?: boolean;
  /** The `domain` parameter (space-separated URIs), if any. */
  domain?: string;
  /** Answer with 407 / Proxy-Authenticate and read Proxy-Authorization by default. Default false. */
  proxy?: boolean;
  /**
   * Where the nonce counts live. Default: in memory, 10,000 nonces, 64 per user, forgetting nonces
   * issued before the server was created. A store that answers with promises needs `verifyAsync`.
   */
  nonceCounts?: NonceCountStore;
  /** The clock, in ms (default `Date.now`). */
  now?: () => number;
}

/** A Digest server for one realm. */
export interface DigestServer {
  readonly realm: string;
  /**
   * Adds a challenge per algorithm to a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
   * response and returns it.
   */
  challenge<R extends SipResponse>(response: R, options?: { stale?: boolean }): R;
  /** Verifies the credentials of a request. Never throws: bad input is a failure with status 400/401/407. */
  verify(request: SipRequest, credentials: CredentialSource, options?: { proxy?: boolean }): DigestVerification;
  /**
   * {@link DigestServer.verify} with a nonce-count store that may answer asynchronously (shared by
   * several servers). Bad input is a failure, never a rejection; a failing store rejects.
   */
  verifyAsync(request: SipRequest, credentials: CredentialSource, options?: { proxy?: boolean }): Promise<DigestVerification>;
  /** Adds Authentication-Info (Proxy-Authentication-Info for a proxy) with `rspauth` and, when due, `nextnonce`. */
  sign<R extends SipResponse>(response: R, verified: DigestSuccess): R;
  /** The response to a failed verification: 400, or 401/407 with challenges (`stale=true` when it applies). */
  reject(request: SipRequest, failure: DigestFailure): SipResponse;
}

function sortStrongestFirst(algorithms: readonly DigestAlgorithm[]): DigestAlgorithm[] {
  return [...new Set(algorithms)].sort((a, b) => strengthOf(b) - strengthOf(a));
}

/**
 * Creates a Digest server.
 * @throws SipError `invalid-argument` for an empty realm, no algorithm or an unknown one
 * @example
 * const server = createDigestServer({ realm: 'example.com', secret, algorithms: ['SHA-256', 'MD5'] });
 * stack.setRequestHandler((rq, st) => {
 *   const v = server.verify(rq, { username: 'alice', ha1: { MD5: md5Hash, 'SHA-256': shaHash } });
 *   void st.respond(v.ok ? server.sign(makeResponse(rq, 200), v) : server.reject(rq, v));
 * });
 * @see RFC 7616 §3.3–§3.5, RFC 8760
 */
export function createDigestServer(options: DigestServerOptions): DigestServer {
  const { realm } = options;
  if (typeof realm !== 'string' || realm === '') throw new SipError('invalid-argument', 'a digest server needs a realm');
  const given = options.algorithms ?? ['SHA-256', 'MD5'];
  const algorithms = sortStrongestFirst(
    given.map((a) => {
      const n = normalizeAlgorithm(a);
      if (n === undefined) throw new SipError('invalid-argument', `unknown digest algorithm '${a}'`);
      return n;
    }),
  );
  if (algorithms.length === 0) throw new SipError('invalid-argument', 'a digest server needs at least one algorithm');
  const secret = options.secret === undefined ? randomBytes(32) : secretBytes(options.secret);
  const lifetime = options.nonceLifetime ?? 300_000;
  const nextNonceAfter = options.nextNonceAfter ?? lifetime / 2;
  const now = options.now ?? (() => Date.now());
  const nonces = createNonceFactory({ secret, lifetime, ...(options.maxDrift !== undefined ? { maxDrift: options.maxDrift } : {}) });
  const opaque =
    options.opaque === null ? undefined : (options.opaque ?? toBase64Url(hmac(sha256, secret, new TextEncoder().encode(`sipts-digest-opaque\0${realm}`)).subarray(0, 12)));
  const qop = [...new Set<DigestQop>(options.qop ?? ['auth'])];
  for (const q of qop as readonly string[]) if (q !== 'auth' && q !== 'auth-int') throw new SipError('invalid-argument', `unknown qop '${q}'`);
  const ctx: VerifyContext = {
    realm,
    algorithms,
    qop,
    acceptNoQop: options.acceptNoQop === true || qop.length === 0,
    opaque,
    lifetime,
    nonces,
    nonceCounts: options.nonceCounts ?? createMemoryNonceCountStore({ now }),
    now,
  };

  function challengesFor(stale: boolean): AuthHeader[] {
    const nonce = nonces.issue(realm, now());
    return algorithms.map((algorithm) => {
      const h: AuthHeader = { scheme: 'Digest', realm: quote(realm) };
      if (options.domain !== undefined) h.domain = quote(options.domain);
      h.nonce = quote(nonce);
      if (opaque !== undefined) h.opaque = quote(opaque);
      if (stale) h.stale = 'true';
      h.algorithm = algorithm;
      if (qop.length > 0) h.qop = quote(qop.join(','));
      if (options.charset === true) h.charset = 'UTF-8';
      if (options.userhash === true) h.userhash = 'true';
      return h;
    });
  }

  function challenge<R extends SipResponse>(response: R, opts?: { stale?: boolean }): R {
    const name = headerNames(response.status === 407).challenge;
    const list = response.headers[name] ?? [];
    list.push(...challengesFor(opts?.stale === true));
    response.headers[name] = list;
    return response;
  }

  return {
    realm,
    challenge,
    verify(request, credentials, opts) {
      const proxy = opts?.proxy ?? options.proxy === true;
      try {
        return verifyRequest(ctx, request, credentials, proxy);
      } catch (e) {
        if (e instanceof SipError && e.code === 'invalid-argument') throw e;
        return unreadableCredentials(e, proxy);
      }
    },
    verifyAsync(request, credentials, opts) {
      return verifyRequestAsync(ctx, request, credentials, opts?.proxy ?? options.proxy === true);
    },
    sign(response, verified) {
      const info: AuthInfo = {};
      if (verified.qop !== undefined) {
        const nc = formatNc(verified.nc ?? 1);
        info.qop = verified.qop;
        info.rspauth = quote(
          calculateDigest({
            ha1: verified.ha1,
            method: '',
            uri: verified.uri,
            nonce: verified.nonce,
            nc,
            cnonce: verified.cnonce,
            qop: verified.qop,
            entity: bodyOf(response),
            algorithm: verified.algorithm,
          }),
        );
        info.cnonce = quote(verified.cnonce ?? '');
        info.nc = nc;
      }
      // Without a qop each nonce serves one request: always hand out the next one.
      if (verified.qop === undefined || now() - verified.issuedAt >= nextNonceAfter) info.nextnonce = quote(nonces.issue(realm, now()));
      response.headers[headerNames(verified.proxy).info] = info;
      return response;
    },
    reject(request, failure) {
      if (failure.status === 400) return makeResponse(request, 400);
      return challenge(makeResponse(request, failure.proxy ? 407 : 401), { stale: failure.stale });
    },
  };
}
