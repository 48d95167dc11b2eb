/**
 * The nonce-count high-water marks a server keeps to reject replays: for each nonce in use, the
 * highest `nc` the client has sent with it. A request whose `nc` is not above it is a replay.
 * Counts are kept per user, so that one user who takes many nonces only ever forgets their own.
 * @see RFC 7616 §3.4 (nc), §5.5 (replay attacks); RFC 2617 §3.2.2
 */

/** What {@link NonceCountStore.advance} decided. */
export type NonceCountResult =
  /** `nc` is above every earlier count for the nonce: recorded. */
  | 'ok'
  /** `nc` is not above the highest count seen: a replay (or a client counting backwards). */
  | 'replay'
  /** The store has forgotten nonces this old (it is full, or it began after the nonce was issued): the client must take a fresh one. */
  | 'forgotten';

/** One use of a nonce by an authenticated user, as {@link NonceCountStore.advance} records it. */
export interface NonceUse {
  nonce: string;
  /** The client's nonce count (1 for a request without a qop). */
  nc: number;
  /** When the nonce was issued (ms). */
  issuedAt: number;
  /** When the nonce stops being accepted (ms): the entry is useless after it. */
  expiresAt: number;
  /** The user whose credentials were verified: counts are kept and bounded per user. */
  username: string;
}

/**
 * Where a server keeps the counts. The default is in memory and per instance; servers that share a
 * secret and want replays caught across instances give a shared store. A store whose `advance`
 * returns a promise (a database, Redis) is used with `DigestServer.verifyAsync`; `verify` needs a
 * synchronous one, because the classic API is synchronous.
 */
export interface NonceCountStore {
  /** Records `use.nc` for `use.nonce` if it is above the highest count seen for it. */
  advance(use: NonceUse): NonceCountResult | Promise<NonceCountResult>;
}

/** A store that answers at once (what `DigestServer.verify` needs). */
export interface SyncNonceCountStore extends NonceCountStore {
  advance(use: NonceUse): NonceCountResult;
}

interface Entry {
  nc: number;
  issuedAt: number;
  expiresAt: number;
}

interface UserEntries {
  nonces: Map<string, Entry>;
  /** Nonces of this user issued at or before this time and not in `nonces` are forgotten. */
  floor: number;
}

/** Options of {@link createMemoryNonceCountStore}. */
export interface MemoryNonceCountStoreOptions {
  /** Most nonces tracked at once, all users together (default 10,000). */
  maxEntries?: number;
  /**
   * Most nonces tracked for one user (default 64): beyond it, that user's oldest is forgotten. A
   * user with many requests in flight at once (a trunk) needs more: a forgotten nonce costs the
   * client one more challenge (`stale=true`).
   */
  maxPerUser?: number;
  /** The clock that expires entries, in ms (default `Date.now`). */
  now?: () => number;
  /**
   * Nonces issued before this time (ms) are answered `forgotten`. Default: the time the store is
   * created, so a server restarted with the same secret never takes a request from before the
   * restart twice (the client is answered `stale=true` and retries with a fresh nonce).
   */
  forgetIssuedBefore?: number;
}

/**
 * A bounded in-memory store, per user. A user's oldest nonce is dropped when they hold
 * `maxPerUser`; when all users together hold `maxEntries`, expired entries go first, then the
 * least recently active user. A dropped nonce is answered `forgotten` from then on (and so is every
 * nonce issued no later than it, for that user or, after a whole user was dropped, for users not
 * tracked), so a dropped entry never reopens a replay window: it only costs one more challenge.
 * @example const server = createDigestServer({ realm, nonceCounts: createMemoryNonceCountStore({ maxEntries: 1000 }) })
 * @see RFC 7616 §5.5
 */
export function createMemoryNonceCountStore(options: MemoryNonceCountStoreOptions = {}): SyncNonceCountStore {
  const max = Math.max(1, options.maxEntries ?? 10_000);
  const perUser = Math.max(1, Math.min(max, options.maxPerUser ?? 64));
  const now = options.now ?? (() => Date.now());
  /** Users, least recently active first. */
  const users = new Map<string, UserEntries>();
  let total = 0;
  /** Nonces of users not in `users`, issued at or before this time, are forgotten. */
  let floor = (options.forgetIssuedBefore ?? now()) - 1;
  let lastSweep = -Infinity;

  const dropOldest = (u: UserEntries): void => {
    const first = u.nonces.entries().next();
    if (first.done === true) return;
    const [nonce, e] = first.value;
    u.floor = Math.max(u.floor, e.issuedAt);
    u.nonces.delete(nonce);
    total--;
  };

  const sweepExpired = (t: number): void => {
    lastSweep = t;
    for (const [name, u] of users) {
      for (const [nonce, e] of u.nonces) {
        if (e.expiresAt > t) continue;
        u.nonces.delete(nonce);
        total--;
      }
      if (u.nonces.size === 0 && u.floor <= floor) users.delete(name);
    }
  };

  /** Makes room for one more entry without touching `keep` unless it is the only user left. */
  const makeRoom = (keep: UserEntries): void => {
    const t = now();
    // A full sweep costs O(entries): at most once per second of clock time.
    if (t - lastSweep >= 1000) sweepExpired(t);
    while (total >= max) {
      const first = users.entries().next();
      if (first.done === true) return;
      const [name, u] = first.value;
      if (u === keep) {
        // Only the user being served is left (the others were dropped): shrink it.
        if (u.nonces.size === 0) return;
        dropOldest(u);
        continue;
      }
      let latest = u.floor;
      for (const e of u.nonces.values()) latest = Math.max(latest, e.issuedAt);
      floor = Math.max(floor, latest);
      total -= u.nonces.size;
      users.delete(name);
    }
  };

  return {
    advance({ nonce, nc, issuedAt, expiresAt, username }) {
      let u = users.get(username);
      const e = u?.nonces.get(nonce);
      if (u !== undefined) {
        users.delete(username);
        users.set(username, u);
      }
      if (e !== undefined) {
        if (nc <= e.nc) return 'replay';
        e.nc = nc;
        return 'ok';
      }
      if (issuedAt <= (u?.floor ?? floor)) return 'forgotten';
      if (u === undefined) {
        u = { nonces: new Map(), floor };
        users.set(username, u);
      }
      const t = now();
      for (const [n, old] of u.nonces) {
        if (old.expiresAt > t) continue;
        u.nonces.delete(n);
        total--;
      }
      while (u.nonces.size >= perUser) dropOldest(u);
      if (total >= max) makeRoom(u);
      if (issuedAt <= u.floor) return 'forgotten';
      u.nonces.set(nonce, { nc, issuedAt, expiresAt });
      total++;
      return 'ok';
    },
  };
}
