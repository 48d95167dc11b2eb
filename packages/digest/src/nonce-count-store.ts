/**
 * The nonce-count high-water marks a server keeps to reject replays: for each nonce in use, the
 * highest `nc` the client has sent with it. A request whose `nc` is not above it is a replay.
 * @see RFC 7616 §3.4 (nc), §5.5 (replay attacks); RFC 2617 §3.2.2
 */

/** What {@link NonceCountStore.advance} decided. */
export type NonceCountResult =
  /** `nc` is above every earlier count for the nonce: recorded. */
  | 'ok'
  /** `nc` is not above the highest count seen: a replay (or a client counting backwards). */
  | 'replay'
  /** The store has forgotten nonces this old (it is full): the client must take a fresh one. */
  | 'forgotten';

/**
 * Where a server keeps the counts. The default is in memory and per instance; servers that share a
 * secret and want replays caught across instances give a shared store. Synchronous, because the
 * classic API is.
 */
export interface NonceCountStore {
  /** Records `nc` for `nonce` if it is above the highest count seen for it. */
  advance(nonce: string, nc: number, issuedAt: number, expiresAt: number): NonceCountResult;
}

interface Entry {
  nc: number;
  issuedAt: number;
  expiresAt: number;
}

/** Options of {@link createMemoryNonceCountStore}. */
export interface MemoryNonceCountStoreOptions {
  /** Most nonces tracked at once (default 10,000). */
  maxEntries?: number;
  /** The clock that expires entries, in ms (default `Date.now`). */
  now?: () => number;
}

/**
 * A bounded in-memory store. Expired entries are dropped first; when it is still full, the oldest
 * entry is dropped and every nonce issued no later than it is answered `forgotten` from then on, so
 * a dropped entry never reopens a replay window (it only costs that client one more challenge).
 * @example const server = createDigestServer({ realm, nonceCounts: createMemoryNonceCountStore({ maxEntries: 1000 }) })
 * @see RFC 7616 §5.5
 */
export function createMemoryNonceCountStore(options: MemoryNonceCountStoreOptions = {}): NonceCountStore {
  const max = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? (() => Date.now());
  const entries = new Map<string, Entry>();
  /** Nonces issued at or before this time and not in the map have been forgotten. */
  let floor = -Infinity;

  function makeRoom(): void {
    const t = now();
    for (const [nonce, e] of entries) {
      if (e.expiresAt <= t) entries.delete(nonce);
    }
    while (entries.size >= max) {
      const first = entries.entries().next();
      if (first.done === true) break;
      const [nonce, e] = first.value;
      floor = Math.max(floor, e.issuedAt);
      entries.delete(nonce);
    }
  }

  return {
    advance(nonce, nc, issuedAt, expiresAt) {
      const e = entries.get(nonce);
      if (e !== undefined) {
        if (nc <= e.nc) return 'replay';
        e.nc = nc;
        return 'ok';
      }
      if (issuedAt <= floor) return 'forgotten';
      if (entries.size >= max) makeRoom();
      if (issuedAt <= floor) return 'forgotten';
      entries.set(nonce, { nc, issuedAt, expiresAt });
      return 'ok';
    },
  };
}
