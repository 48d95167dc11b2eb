/**
 * Digest authentication for the registrar (401) and for requests from local users (407): users
 * and their stored HA1s, and one digest server per set of algorithms a user has hashes for, all
 * sharing one nonce secret (the server secret) and one nonce-count store: per user and bounded,
 * in this process's memory, or in the store that instances share (Redis). A user stored with only an MD5 hash is
 * challenged with MD5 only, so the client cannot pick an algorithm we cannot verify.
 * @see RFC 3261 §22, RFC 7616 §3.7, RFC 8760 §2.4
 */
import { createDigestServer, createMemoryNonceCountStore, type DigestAlgorithm, type NonceCountStore, type DigestServer, type DigestVerification, type StoredCredentials } from '@sipts/digest';
import type { SipRequest, SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import type { UserEntry } from './config/index.js';

/** What the authenticator needs. */
export interface AuthenticatorOptions {
  realm: string;
  users: readonly UserEntry[];
  /** Offered algorithms (the digest server sends the strongest first). */
  algorithms: readonly ('SHA-256' | 'MD5')[];
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
}

/** The users and their digest servers. */
export interface Authenticator {
  /** True when `user` is configured. */
  has(user: string): boolean;
  /**
   * Verifies the credentials of `request`, with the algorithms `user` has (by the AOR/From).
   * Rejects only when a shared nonce-count store cannot be reached.
   */
  verify(request: SipRequest, user: string, proxy: boolean): Promise<DigestVerification>;
  /** A 401/407 (or 400) for a failed verification, with challenges for `user`'s algorithms. */
  reject(request: SipRequest, user: string, failure: Extract<DigestVerification, { ok: false }>): SipResponse;
  /** Authentication-Info with `rspauth` on a response to a verified request. */
  sign<R extends SipResponse>(response: R, user: string, verified: Extract<DigestVerification, { ok: true }>): R;
}

const HASH_KEY = { 'SHA-256': 'sha256', MD5: 'md5' } as const;

/**
 * Creates the authenticator.
 * @example const v = await auth.verify(rq, 'alice', false); if (!v.ok) respond(auth.reject(rq, 'alice', v));
 * @see RFC 7616 §3.3–§3.5
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const users = new Map<string, StoredCredentials>();
  const algorithmsOf = new Map<string, DigestAlgorithm[]>();
  for (const u of options.users) {
    users.set(u.user, { username: u.user, ha1: { ...(u.ha1.md5 !== undefined ? { MD5: u.ha1.md5 } : {}), ...(u.ha1.sha256 !== undefined ? { 'SHA-256': u.ha1.sha256 } : {}) } });
    algorithmsOf.set(
      u.user,
      options.algorithms.filter((a) => u.ha1[HASH_KEY[a]] !== undefined),
    );
  }
  const secret = options.secret ?? undefined;
  const nonceCounts = options.nonceCounts ?? createMemoryNonceCountStore({ now: options.now, maxEntries: 50_000, maxPerUser: options.noncesPerUser ?? 256 });
  const servers = new Map<string, DigestServer>();
  const sharedRandom = crypto.getRandomValues(new Uint8Array(32));
  const rank = (algorithm: string | undefined): number => {
    const i = options.algorithms.findIndex((a) => a.toLowerCase() === (algorithm ?? '').toLowerCase());
    return i === -1 ? options.algorithms.length : i;
  };
  function serverFor(user: string): DigestServer {
    let algorithms = algorithmsOf.get(user) ?? [...options.algorithms];
    if (algorithms.length === 0) algorithms = [...options.algorithms];
    const key = algorithms.join(',');
    let server = servers.get(key);
    if (server === undefined) {
      server = createDigestServer({ realm: options.realm, algorithms, nonceCounts, now: options.now, ...(secret !== undefined ? { secret } : { secret: sharedRandom }) });
      servers.set(key, server);
    }
    return server;
  }

  return {
    has: (user) => users.has(user),
    verify(request, user, proxy) {
      return serverFor(user).verifyAsync(request, ({ username }) => users.get(username), { proxy });
    },
    reject(request, user, failure) {
      // The digest server lists the strongest first; the configured order wins (legacy clients
      // that read only the first challenge need MD5 first).
      const rs = serverFor(user).reject(request, failure);
      // The 401/407 is this server's own final response: it carries a To tag (RFC 3261 §8.2.6.2).
      if (rs.headers.to !== undefined && rs.headers.to.params.tag === undefined) rs.headers.to.params.tag = generateTag();
      for (const name of ['www-authenticate', 'proxy-authenticate'] as const) {
        const list = rs.headers[name];
        if (list !== undefined) list.sort((a, b) => rank(a.algorithm) - rank(b.algorithm));
      }
      return rs;
    },
    sign(response, user, verified) {
      return serverFor(user).sign(response, verified);
    },
  };
}
