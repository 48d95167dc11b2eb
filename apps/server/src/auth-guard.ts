/**
 * Throttled password guessing: failed authentications are counted per source address and per
 * user (AOR); after `maxFailures` of them within `windowSeconds` that source, or that user, is
 * answered 403 for `cooldownSeconds` before any digest work is done. Both tables are bounded
 * (least recently touched entries go first), so a peer cannot grow them without limit.
 *
 * A source that authenticated a user successfully (within `trustMs`, default 24 h) keeps access
 * to that user while the user is blocked: a guesser elsewhere can lock the user out of new places, not out of
 * the phone already registered.
 * @see RFC 3261 §26.2 (threats: guessing), §21.4.4 (403)
 */

/** Settings of {@link createAuthGuard}. */
export interface AuthGuardOptions {
  /** Failures that start a cool-down; 0 turns the guard off. */
  maxFailures: number;
  /** Failures older than this no longer count (ms). */
  windowMs: number;
  /** How long a source or user is refused once blocked (ms). */
  cooldownMs: number;
  /** Entries per table (sources, users, trusted pairs). */
  maxEntries: number;
  /**
   * How long a source that authenticated a user stays exempt from that user's cool-down (ms).
   * Default 24 h: longer than a registration's refresh interval.
   */
  trustMs?: number;
  now: () => number;
  /** Called when a source or a user starts a cool-down (for metrics and logs). */
  onBlock?: (kind: 'source' | 'user', key: string) => void;
}

/** Why a request is refused before authentication, if it is. */
export type GuardVerdict = 'source' | 'user' | undefined;

/** The guard's counters, read by tests and metrics. */
export interface AuthGuard {
  /** Whether `source` (an IP address) or `user` is in a cool-down for this request. */
  check(source: string | undefined, user: string): GuardVerdict;
  /** A wrong password (or an unknown user's credentials) from `source` for `user`. */
  failed(source: string | undefined, user: string): void;
  /** Correct credentials from `source` for `user`. */
  succeeded(source: string | undefined, user: string): void;
  /** Entries in the source and user tables (bounded by `maxEntries` each). */
  readonly sizes: { sources: number; users: number; trusted: number };
}

interface Count {
  failures: number;
  since: number;
  blockedUntil: number;
}

/** A Map that forgets its least recently touched entry beyond `limit`. */
class LruMap<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly limit: number) {}
  get size(): number {
    return this.#map.size;
  }
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.limit) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
}

/**
 * Creates the guard.
 * @example
 * const guard = createAuthGuard({ maxFailures: 10, windowMs: 600_000, cooldownMs: 600_000, maxEntries: 100_000, now: Date.now });
 * if (guard.check(remote.address, 'alice') !== undefined) reply403();
 */
export function createAuthGuard(options: AuthGuardOptions): AuthGuard {
  const sources = new LruMap<Count>(options.maxEntries);
  const users = new LruMap<Count>(options.maxEntries);
  /** `user\0source` pairs that authenticated recently: exempt from the user's cool-down. */
  const trusted = new LruMap<number>(options.maxEntries);
  const off = options.maxFailures <= 0;

  function blocked(table: LruMap<Count>, key: string, now: number): boolean {
    const c = table.get(key);
    if (c === undefined) return false;
    if (c.blockedUntil > now) return true;
    if (c.blockedUntil !== 0 || now - c.since > options.windowMs) table.delete(key);
    return false;
  }

  function count(table: LruMap<Count>, kind: 'source' | 'user', key: string, now: number): void {
    let c = table.get(key);
    if (c === undefined || c.blockedUntil !== 0 || now - c.since > options.windowMs) c = { failures: 0, since: now, blockedUntil: 0 };
    c.failures++;
    if (c.failures >= options.maxFailures) {
      c.blockedUntil = now + options.cooldownMs;
      options.onBlock?.(kind, key);
    }
    table.set(key, c);
  }

  const pair = (user: string, source: string): string => `${user}\0${source}`;

  return {
    check(source, user) {
      if (off) return undefined;
      const now = options.now();
      if (source !== undefined && blocked(sources, source, now)) return 'source';
      if (!blocked(users, user, now)) return undefined;
      if (source === undefined) return 'user';
      const until = trusted.get(pair(user, source));
      return until !== undefined && until > now ? undefined : 'user';
    },
    failed(source, user) {
      if (off) return;
      const now = options.now();
      if (source !== undefined) count(sources, 'source', source, now);
      count(users, 'user', user, now);
    },
    succeeded(source, user) {
      if (off || source === undefined) return;
      trusted.set(pair(user, source), options.now() + (options.trustMs ?? 86_400_000));
    },
    get sizes() {
      return { sources: sources.size, users: users.size, trusted: trusted.size };
    },
  };
}
