/**
 * User entries: H(user:realm:password) for MD5 and SHA-256 (RFC 7616 §3.4.2), as `add-user`
 * prints them and the config stores them; clear-text passwords are never stored.
 */
import { calculateUserRealmPasswordHash } from '@sipts/digest';
import type { UserEntry } from './schema.js';

/** Both HA1 values of a user. */
export interface Ha1Pair {
  md5: string;
  sha256: string;
}

/**
 * The config entry of `user` with `password` in `realm`.
 * @example ha1Entry('alice', 'localhost', 'alice-secret').ha1.md5 // 32 hex digits
 * @see RFC 7616 §3.4.2
 */
export function ha1Entry(user: string, realm: string, password: string): UserEntry & { ha1: Ha1Pair } {
  return {
    user,
    ha1: {
      md5: calculateUserRealmPasswordHash(user, realm, password, 'MD5'),
      sha256: calculateUserRealmPasswordHash(user, realm, password, 'SHA-256'),
    },
  };
}
