/**
 * A token bucket per source address: REGISTERs beyond the configured rate are answered 503 with
 * Retry-After (RFC 3261 §21.5.4) before any authentication or store work is done.
 */

/** A per-key rate limiter. */
export interface RateLimiter {
  /** Takes one token for `key` at `now` (ms); false when the bucket is empty. */
  take(key: string, now: number): boolean;
  /** Buckets currently tracked. */
  readonly size: number;
}

/**
 * Creates a limiter allowing `perSecond` on average with bursts of `burst` (default `perSecond`,
 * at least 1); `perSecond` 0 turns it off. Idle buckets are dropped so memory stays bounded.
 * @example const limit = createRateLimiter(20); if (!limit.take(remote.address, Date.now())) reply503()
 */
export function createRateLimiter(perSecond: number, burst = Math.max(1, perSecond), maxKeys = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now) {
      if (perSecond <= 0) return true;
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxKeys) {
          // Drop the buckets that have refilled: they carry no information.
          for (const [k, v] of buckets) if (v.tokens + ((now - v.at) / 1000) * perSecond >= burst) buckets.delete(k);
          if (buckets.size >= maxKeys) return false;
        }
        b = { tokens: burst, at: now };
        buckets.set(key, b);
      } else {
        b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) / 1000) * perSecond);
        b.at = now;
      }
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    get size() {
      return buckets.size;
    },
  };
}
