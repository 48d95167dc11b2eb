/**
 * Digest authentication for the registrar (401) and for requests from local users (407): users
 * and their stored HA1s, and one digest server per set of algorithms, all sharing one nonce
 * secret (the server secret) and one nonce-count store: per user and bounded, in this process's
 * memory, or in the store that instances share (Redis).
 *
 * - No enumeration: a user that is not configured is challenged exactly like one that is (same
 *   algorithms, same headers), and its credentials are checked against a decoy hash, so the
 *   answer and the work done are those of a wrong password (Asterisk's and Kamailio's
 *   "always auth reject").
 * - Throttled guessing: failures are counted per source and per user by an {@link AuthGuard};
 *   a blocked source or user is answered 403 before any digest work.
 * - Phones on defaults: the challenge's algorithms and their order can depend on the client's
 *   User-Agent ({@link ClientRule}), for clients that read only the first challenge or give up
 *   when they see an algorithm they do not know.
 * @see RFC 3261 §22, RFC 7616 §3.7, RFC 8760 §2.4
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createDigestServer, createMemoryNonceCountStore, type DigestServer, type NonceCountStore, type DigestVerification, type StoredCredentials } from '@sipts/digest';
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import type { AuthGuard } from './auth-guard.js';
import { challengeAlgorithms, commonAlgorithms, type ClientRule, type DigestAlgorithm } from './auth-offer.js';
import type { UserEntry } from './config/index.js';

/** What the authenticator needs. */
export interface AuthenticatorOptions {
  realm: string;
  users: readonly UserEntry[];
  /** Offered algorithms, in the order challenges are listed. */
  algorithms: readonly DigestAlgorithm[];
  /** The nonce HMAC key (the server secret); instances sharing it accept each other's nonces. Default random. */
  secret?: string | undefined;
  /**
   * Where nonce counts live: a shared store makes a nonce used on one instance a replay on all.
   * Default: this process's memory (50,000 nonces, `noncesPerUser` per user), forgetting nonces
   * issued before the start.
   */
  nonceCounts?: NonceCountStore | undefined;
  /** With the default (memory) counts: most nonces tracked per user. Default 256. */
  noncesPerUser?: number | undefined;
  now: () => number;
  /** Challenges by User-Agent (first match wins). Default none. */
  clients?: readonly ClientRule[];
  /** Counts failures and refuses blocked sources and users. Default none. */
  guard?: AuthGuard;
  /** A failed authentication (wrong password, or an unknown user's credentials). */
  onFailure?: (user: string, source: string | undefined) => void;
  /** A request refused because its source or user is in a cool-down. */
  onRefused?: (kind: 'source' | 'user') => void;
}

/** Refused before verification: the source or the user is in a cool-down (answered 403). */
export interface BlockedFailure {
  ok: false;
  status: 403;
  reason: 'source-blocked' | 'user-blocked';
  stale: false;
  message: string;
  proxy: boolean;
}

/** The outcome of {@link Authenticator.verify}. */
export type AuthVerification = DigestVerification | BlockedFailure;
/** A failed {@link AuthVerification}. */
export type AuthFailure = Extract<AuthVerification, { ok: false }>;

/** The users and their digest servers. */
export interface Authenticator {
  /** True when `user` is configured. */
  has(user: string): boolean;
  /**
   * Verifies the credentials of `request` for `user` (the AOR's or the From's user part);
   * `source` is the peer's IP address, for the per-source failure count. Rejects only when a
   * shared nonce-count store cannot be reached.
   */
  verify(request: SipRequest, user: string, proxy: boolean, source?: string): Promise<AuthVerification>;
  /** A 401/407 with challenges (or 400, or 403 for a cool-down) for a failed verification. */
  reject(request: SipRequest, user: string, failure: AuthFailure): SipResponse;
  /** Authentication-Info with `rspauth` on a response to a verified request. */
  sign<R extends SipResponse>(response: R, user: string, verified: Extract<DigestVerification, { ok: true }>): R;
}

const HASH_KEY = { 'SHA-256': 'sha256', MD5: 'md5' } as const;
/** Digest failures that are a guess: the nonce was ours and the digest did not match. */
const GUESSES = new Set(['wrong-password', 'unknown-user']);

function storedOf(u: UserEntry): StoredCredentials {
  return { username: u.user, ha1: { ...(u.ha1.md5 !== undefined ? { MD5: u.ha1.md5 } : {}), ...(u.ha1.sha256 !== undefined ? { 'SHA-256': u.ha1.sha256 } : {}) } };
}

/**
 * Creates the authenticator.
 * @example const v = await auth.verify(rq, 'alice', false, remote.address); if (!v.ok) respond(auth.reject(rq, 'alice', v));
 * @see RFC 7616 §3.3–§3.5
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const users = new Map<string, StoredCredentials>();
  const algorithmsOf = new Map<string, DigestAlgorithm[]>();
  for (const u of options.users) {
    users.set(u.user, storedOf(u));
    const own = options.algorithms.filter((a) => u.ha1[HASH_KEY[a]] !== undefined);
    algorithmsOf.set(u.user, own.length > 0 ? own : [...options.algorithms]);
  }
  // Unknown users get the algorithms most users have: their challenge looks like a real one.
  const unknownAlgorithms = commonAlgorithms([...algorithmsOf.values()], options.algorithms);
  const nonceCounts = options.nonceCounts ?? createMemoryNonceCountStore({ now: options.now, maxEntries: 50_000, maxPerUser: options.noncesPerUser ?? 256 });
  const servers = new Map<string, DigestServer>();
  const secret: string | Uint8Array = options.secret ?? crypto.getRandomValues(new Uint8Array(32));
  const decoyKey = randomBytes(32);
  /** A hash nobody knows the password of, stable per name: an unknown user costs what a known one does. */
  const decoy = (username: string): StoredCredentials => {
    const h = createHmac('sha256', decoyKey).update(username).digest('hex');
    return { username, ha1: { MD5: h.slice(0, 32), 'SHA-256': h } };
  };
  const credentials = ({ username }: { username: string }): StoredCredentials => users.get(username) ?? decoy(username);

  function serverFor(algorithms: readonly DigestAlgorithm[]): DigestServer {
    const key = algorithms.join(',');
    let server = servers.get(key);
    if (server === undefined) {
      server = createDigestServer({ realm: options.realm, algorithms, nonceCounts, now: options.now, secret });
      servers.set(key, server);
    }
    return server;
  }
  const algorithmsFor = (user: string): DigestAlgorithm[] => algorithmsOf.get(user) ?? unknownAlgorithms;

  function blocked(user: string, source: string | undefined, proxy: boolean): BlockedFailure | undefined {
    const verdict = options.guard?.check(source, user);
    if (verdict === undefined) return undefined;
    options.onRefused?.(verdict);
    return { ok: false, status: 403, reason: verdict === 'source' ? 'source-blocked' : 'user-blocked', stale: false, message: 'too many failed authentications', proxy };
  }

  return {
    has: (user) => users.has(user),
    async verify(request, user, proxy, source) {
      const refused = blocked(user, source, proxy);
      if (refused !== undefined) return refused;
      const v = await serverFor(algorithmsFor(user)).verifyAsync(request, credentials, { proxy });
      if (v.ok && !users.has(v.username)) {
        // A decoy cannot match; should it ever, it is still not a user.
        return { ok: false, status: proxy ? 407 : 401, reason: 'wrong-password', stale: false, message: 'the digest does not match', proxy };
      }
      if (v.ok) options.guard?.succeeded(source, user);
      else if (GUESSES.has(v.reason)) {
        options.guard?.failed(source, user);
        options.onFailure?.(user, source);
      }
      return v;
    },
    reject(request, user, failure) {
      if (failure.status === 403) return makeResponse(request, 403, 'Forbidden', { toTag: generateTag() });
      const offer = challengeAlgorithms({ request, available: algorithmsFor(user), rules: options.clients ?? [] });
      const rs = serverFor(offer).reject(request, failure);
      // The 401/407 is this server's own final response: it carries a To tag (RFC 3261 §8.2.6.2).
      if (rs.headers.to !== undefined && rs.headers.to.params.tag === undefined) rs.headers.to.params.tag = generateTag();
      // The digest server lists the strongest first; the offer's order wins (RFC 7616 §3.7: a
      // client uses the first challenge it supports, and some read only the first).
      const rank = (a: string | undefined): number => {
        const i = offer.findIndex((o) => o.toLowerCase() === (a ?? '').toLowerCase());
        return i === -1 ? offer.length : i;
      };
      for (const name of ['www-authenticate', 'proxy-authenticate'] as const) rs.headers[name]?.sort((a, b) => rank(a.algorithm) - rank(b.algorithm));
      return rs;
    },
    sign(response, user, verified) {
      return serverFor(algorithmsFor(user)).sign(response, verified);
    },
  };
}
