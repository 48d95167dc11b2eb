/**
 * Branch parameters and tags from a cryptographic random source (never `Math.random`: the classic
 * library's 20-bit branches collide). The bytes come from `crypto.getRandomValues` in chunks of
 * {@link RANDOM_POOL_BYTES}: one call per few hundred tags instead of one per tag (a call per tag
 * cost 8.7 % of a busy UAS). Every byte is used once, so draws stay unguessable and independent.
 * @see RFC 3261 §8.1.1.7 (branch and the magic cookie), §19.3 (tags)
 */

/** The RFC 3261 magic cookie every branch starts with. */
export const BRANCH_COOKIE = 'z9hG4bK';

/**
 * True when `branch` marks an RFC 3261 request: it begins with the magic cookie `z9hG4bK`. A branch
 * of exactly the cookie (RFC 4475 §3.2.1 `badbranch`) counts: it is matched as written. Anything
 * else, a missing branch or a non-string an application put there included, is RFC 2543.
 * @example hasMagicCookie('z9hG4bK') // true; hasMagicCookie('1234') // false (RFC 2543)
 * @see RFC 3261 §8.1.1.7, §17.2.3
 */
export function hasMagicCookie(branch: unknown): branch is string {
  return typeof branch === 'string' && branch.startsWith(BRANCH_COOKIE);
}

/** Bytes drawn from `crypto.getRandomValues` per refill (its limit is 65,536). */
export const RANDOM_POOL_BYTES = 4096;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** The pool: bytes at `next` and after are unused; refilled as a whole when too few are left. */
const pool = new Uint8Array(RANDOM_POOL_BYTES);
let next = RANDOM_POOL_BYTES;

/** The offset of `count` fresh random bytes in `pool` (refilling it first when needed). */
function take(count: number): number {
  if (next + count > RANDOM_POOL_BYTES) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  const at = next;
  next += count;
  return at;
}

/** Character codes of the strings drawn, one array per length (reused: a draw allocates only its string). */
const codesOfLength: number[][] = [];

/**
 * `prefix` followed by `chars` base32 characters (5 random bits each) from the pool, built as one
 * string from its character codes: appending one character at a time made a new string per
 * character (about 430 B allocated per tag).
 */
function randomBase32(prefix: string, chars: number): string {
  const bytes = Math.ceil((chars * 5) / 8);
  const at = take(bytes);
  const end = prefix.length + chars;
  const codes = (codesOfLength[end] ??= new Array<number>(end).fill(0));
  let n = 0;
  for (; n < prefix.length; n++) codes[n] = prefix.charCodeAt(n);
  let acc = 0;
  let bits = 0;
  for (let i = at; i < at + bytes && n < end; i++) {
    acc = ((acc << 8) | (pool[i] ?? 0)) & 0xfff;
    bits += 8;
    while (bits >= 5 && n < end) {
      bits -= 5;
      codes[n++] = BASE32.charCodeAt((acc >>> bits) & 31);
    }
  }
  // Each used byte is overwritten, so a pool slot never serves two draws even if read again.
  pool.fill(0, at, at + bytes);
  return String.fromCharCode.apply(null, codes);
}

/**
 * A new Via branch: the magic cookie and 100 random bits (20 base32 characters).
 * @example via.params.branch = generateBranch() // 'z9hG4bK' + 'k3x7…'
 * @see RFC 3261 §8.1.1.7
 */
export function generateBranch(): string {
  return randomBase32(BRANCH_COOKIE, 20);
}

/**
 * A new From/To tag: 80 random bits (16 base32 characters).
 * @example makeResponse(rq, 200, undefined, { toTag: generateTag() })
 * @see RFC 3261 §19.3
 */
export function generateTag(): string {
  return randomBase32('', 16);
}
