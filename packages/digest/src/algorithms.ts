/**
 * Digest algorithms and their hash functions: MD5 (RFC 2617), SHA-256 and SHA-512/256 (RFC 7616
 * §3.2, RFC 8760 for SIP), each with its `-sess` variant. Hashing is synchronous and runs in
 * browsers and Node (`@noble/hashes`).
 * @see RFC 7616 §3.2, §6.1; RFC 8760 §2.4
 */
import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha512_256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** A digest hash function, by its RFC 7616 name. */
export type DigestHashName = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** A digest algorithm token as registered by RFC 7616 §6.1 (canonical spelling). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/** A quality of protection (RFC 7616 §3.3): `auth`, or `auth-int` (the body is covered too). */
export type DigestQop = 'auth' | 'auth-int';

/** Every algorithm, strongest first (the order servers list their challenges in). */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-512-256', 'SHA-512-256-sess', 'SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

const BY_LOWER: ReadonlyMap<string, DigestAlgorithm> = new Map(DIGEST_ALGORITHMS.map((a) => [a.toLowerCase(), a]));

const encoder = new TextEncoder();

const HASHES: Record<DigestHashName, (data: Uint8Array) => Uint8Array> = {
  MD5: (d) => md5(d),
  'SHA-256': (d) => sha256(d),
  'SHA-512-256': (d) => sha512_256(d),
};

/** Hex length of each hash's output. */
export const HASH_HEX_LENGTH: Readonly<Record<DigestHashName, number>> = { MD5: 32, 'SHA-256': 64, 'SHA-512-256': 64 };

/**
 * The canonical algorithm for a token in any letter case (`md5-sess` → `MD5-sess`), or undefined
 * for an unknown one. Quotes around the token are ignored.
 * @example normalizeAlgorithm('sha-256') // 'SHA-256'
 * @see RFC 7616 §3.3 (the algorithm token is case-insensitive)
 */
export function normalizeAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined) return undefined;
  let t = token.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1).trim();
  return BY_LOWER.get(t.toLowerCase());
}

/** The hash function an algorithm uses. */
export function hashOf(algorithm: DigestAlgorithm): DigestHashName {
  if (algorithm.startsWith('SHA-512-256')) return 'SHA-512-256';
  if (algorithm.startsWith('SHA-256')) return 'SHA-256';
  return 'MD5';
}

/** True for the `-sess` variants, whose HA1 also covers the nonce and cnonce (RFC 7616 §3.4.2). */
export function isSess(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** A rank for choosing among challenges: SHA-512/256 3, SHA-256 2, MD5 1. */
export function strengthOf(algorithm: DigestAlgorithm): number {
  const h = hashOf(algorithm);
  return h === 'SHA-512-256' ? 3 : h === 'SHA-256' ? 2 : 1;
}

/** Lower-case hex of the hash of `data` (a string is hashed as its UTF-8 bytes). */
export function hashHex(hash: DigestHashName, data: string | Uint8Array): string {
  return bytesToHex(HASHES[hash](typeof data === 'string' ? encoder.encode(data) : data));
}

/** `H(a:b:…)`: the hash of the arguments joined with `:`. */
export function kdHex(hash: DigestHashName, ...parts: string[]): string {
  return hashHex(hash, parts.join(':'));
}
