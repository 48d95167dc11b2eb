/**
 * Helpers that "use" parsed values so V8 cannot drop the work: every read feeds a number sink.
 */

/** Length of a string (0 for anything else). */
export function len(s) {
  return typeof s === 'string' ? s.length : 0;
}

/**
 * Walks a value (strings, numbers, arrays, plain objects; depth ≤ 5) and sums string lengths,
 * key lengths and 1 per number. Reading every property forces any lazy parsing behind it.
 */
export function touch(v, depth = 0) {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return 1;
  if (v === null || typeof v !== 'object' || depth > 5) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) n += touch(v[i], depth + 1);
    return n;
  }
  for (const k in v) n += k.length + touch(v[k], depth + 1);
  return n;
}

/**
 * Size of a serializer's output. A string built by `+=` is a V8 rope; reading a character from its
 * middle flattens it, so string serializers pay for a contiguous string, as sending it would.
 */
export function outputLength(out) {
  return typeof out === 'string' ? out.length + out.charCodeAt(out.length >> 1) : out.byteLength;
}
