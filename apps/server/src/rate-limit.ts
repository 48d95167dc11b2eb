/**
 * Token buckets per source: every request beyond `limits.requestsPerSecondPerSource` is refused
 * before routing (see `admission.ts`), and REGISTERs beyond `limits.registerPerSecondPerSource`
 * are answered 503 with Retry-After (RFC 3261 §21.5.4) before any authentication or store work.
 * A source is an IPv4 address, or the /64 of an IPv6 address (one host usually has a whole /64).
 */
import { isIPv6 } from 'node:net';

/**
 * The rate-limit key of a source address: the address itself for IPv4, its /64 for IPv6 (an
 * IPv4-mapped IPv6 address counts as its IPv4 address).
 * @example sourceKey('2001:db8:1:2:3:4:5:6') // '2001:db8:1:2::/64'
 */
export function sourceKey(address: string): string {
  const a = address.toLowerCase();
  if (!isIPv6(a)) return a;
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  const [head = '', tail = ''] = a.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = a.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

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
  let lastSweep = -Infinity;
  return {
    take(key, now) {
      if (perSecond <= 0) return true;
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxKeys) {
          // Drop the buckets that have refilled: they carry no information. At most one sweep a
          // second, so that a flood from many sources does not make every packet scan the table.
          if (now - lastSweep < 1000) return false;
          lastSweep = now;
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
