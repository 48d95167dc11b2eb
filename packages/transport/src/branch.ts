/**
 * Branch parameters and tags from a cryptographic random source (never `Math.random`: the classic
 * library's 20-bit branches collide).
 * @see RFC 3261 §8.1.1.7 (branch and the magic cookie), §19.3 (tags)
 */

/** The RFC 3261 magic cookie every branch starts with. */
export const BRANCH_COOKIE = 'z9hG4bK';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `bytes` random bytes written as lower-case base32 (8 chars per 5 bytes, 5 bits a char). */
function randomBase32(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32.charAt((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32.charAt((acc << (5 - bits)) & 31);
  return out;
}

/**
 * A new Via branch: the magic cookie and 100 random bits (20 base32 characters).
 * @example via.params.branch = generateBranch() // 'z9hG4bK' + 'k3x7…'
 * @see RFC 3261 §8.1.1.7
 */
export function generateBranch(): string {
  return BRANCH_COOKIE + randomBase32(13).slice(0, 20);
}

/**
 * A new From/To tag: 80 random bits (16 base32 characters).
 * @example makeResponse(rq, 200, undefined, { toTag: generateTag() })
 * @see RFC 3261 §19.3
 */
export function generateTag(): string {
  return randomBase32(10);
}
