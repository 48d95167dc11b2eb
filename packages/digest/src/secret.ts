/**
 * A user's secret as a client or server holds it: the clear password, or the stored
 * H(user:realm:password) of each hash (so that servers never need the password).
 * @see RFC 7616 §3.4.2, §5.3 (storing passwords)
 */
import { HASH_HEX_LENGTH, kdHex, type DigestHashName } from './algorithms.js';

/** A password, or stored H(user:realm:password) hashes (hex). */
export interface DigestSecret {
  /** The clear-text password. */
  password?: string | undefined;
  /**
   * H(user:realm:password): one string (used for the hash whose hex length it has: 32 → MD5,
   * 64 → SHA-256 and SHA-512/256), or one per hash: `{ MD5: '…', 'SHA-256': '…' }`.
   */
  ha1?: string | Partial<Record<DigestHashName, string>> | undefined;
}

/** H(user:realm:password) for `hash`, or undefined when the secret has none for it. */
export function userRealmPasswordHash(secret: DigestSecret, username: string, realm: string, hash: DigestHashName): string | undefined {
  const { ha1, password } = secret;
  if (typeof ha1 === 'string') {
    if (ha1.length === HASH_HEX_LENGTH[hash]) return ha1.toLowerCase();
  } else if (ha1 !== undefined) {
    const h = ha1[hash];
    if (h !== undefined) return h.toLowerCase();
  }
  if (typeof password === 'string') return kdHex(hash, username, realm, password);
  return undefined;
}
