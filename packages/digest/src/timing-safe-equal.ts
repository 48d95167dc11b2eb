/**
 * Constant-time comparison of digests, so that the time a check takes tells nothing about how much
 * of a guessed response was right.
 * @see RFC 7616 §5.12 (precomputed dictionary and timing attacks)
 */

/** True when `a` and `b` are equal, in time that depends on their lengths only. */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  // Past the end charCodeAt is NaN, and NaN | 0 is 0: the loop never exits early.
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
