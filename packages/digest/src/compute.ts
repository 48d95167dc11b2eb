/**
 * The digest computations: H(A1), H(A2), the request digest and `rspauth`, for every algorithm and
 * qop (including RFC 2069's no-qop form). These are the classic low-level functions, widened to
 * SHA-256 and SHA-512/256.
 * @see RFC 2617 §3.2.2.1–§3.2.2.3, §3.2.3; RFC 7616 §3.4.1–§3.4.3, §3.4.4 (userhash)
 */
import { SipError } from '@sipts/message';
import { hashOf, isSess, kdHex, hashHex, normalizeAlgorithm, type DigestAlgorithm, type DigestHashName } from './algorithms.js';
import { unquote } from './quote.js';

/** Arguments of {@link calculateHA1} (the classic names). */
export interface HA1Arguments {
  /** H(user:realm:password), when the password is not at hand (the classic `hash`). */
  userhash?: string | undefined;
  user?: string | undefined;
  realm?: string | undefined;
  password?: string | undefined;
  /** Any letter case: `md5`, `MD5-sess`, `sha-256`, `SHA-512-256-sess`… Default MD5. */
  algorithm?: string | undefined;
  /** Needed for the `-sess` algorithms. */
  nonce?: string | undefined;
  /** Needed for the `-sess` algorithms. */
  cnonce?: string | undefined;
}

/** Arguments of {@link calculateDigest} (the classic names). */
export interface DigestArguments {
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** Eight hex digits (`00000001`); with a qop only. */
  nc?: string | undefined;
  cnonce?: string | undefined;
  /** `auth`, `auth-int`, or absent for RFC 2069. */
  qop?: string | undefined;
  /** The message body for `auth-int`: a string is hashed as UTF-8, bytes as they are. */
  entity?: string | Uint8Array | undefined;
  /** Default MD5; only the hash matters here (`SHA-256-sess` hashes like `SHA-256`). */
  algorithm?: string | undefined;
}

/**
 * The algorithm for a token, MD5 when absent.
 * @throws SipError `unsupported-algorithm` for an unknown token
 */
export function algorithmOrThrow(token: string | undefined): DigestAlgorithm {
  if (token === undefined || token === '') return 'MD5';
  const a = normalizeAlgorithm(token);
  if (a === undefined) throw new SipError('unsupported-algorithm', `unsupported digest algorithm '${token}'`);
  return a;
}

/** `nc` as the eight lower-case hex digits of the wire form. */
export function formatNc(nc: number): string {
  return (nc >>> 0).toString(16).padStart(8, '0');
}

/**
 * H(user:realm:password), quotes stripped from each part.
 * @throws SipError `unsupported-algorithm`
 * @example calculateUserRealmPasswordHash('Mufasa', 'testrealm@host.com', 'Circle Of Life') // '939e7578ed9e3c518a452acee763bce9'
 * @see RFC 2617 §3.2.2.2, RFC 7616 §3.4.2
 */
export function calculateUserRealmPasswordHash(user: string, realm: string, password: string, algorithm?: string): string {
  return kdHex(hashOf(algorithmOrThrow(algorithm)), unquote(user), unquote(realm), unquote(password));
}

/**
 * RFC 7616 userhash: H(user:realm), sent as the username when the server offers `userhash=true`.
 * @throws SipError `unsupported-algorithm`
 * @example calculateUserhash('Jäsøn Doe', 'api@example.org', 'SHA-512-256') // '793263ca…'
 * @see RFC 7616 §3.4.4
 */
export function calculateUserhash(user: string, realm: string, algorithm?: string): string {
  return kdHex(hashOf(algorithmOrThrow(algorithm)), user, realm);
}

/**
 * H(A1): H(user:realm:password), or for the `-sess` algorithms H(H(user:realm:password):nonce:cnonce).
 * The algorithm may be written in any letter case.
 * @throws SipError `unsupported-algorithm`, `invalid-argument` (no password and no userhash)
 * @example calculateHA1({ user: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life' })
 * @see RFC 2617 §3.2.2.2, RFC 7616 §3.4.2
 */
export function calculateHA1(args: HA1Arguments): string {
  const algorithm = algorithmOrThrow(args.algorithm);
  const hash = hashOf(algorithm);
  let base = args.userhash;
  if (base === undefined || base === '') {
    if (args.password === undefined || args.user === undefined || args.realm === undefined) {
      throw new SipError('invalid-argument', 'calculateHA1 needs userhash, or user, realm and password');
    }
    base = kdHex(hash, unquote(args.user), unquote(args.realm), unquote(args.password));
  }
  if (!isSess(algorithm)) return base;
  return kdHex(hash, base, unquote(args.nonce) ?? '', unquote(args.cnonce) ?? '');
}

/** H(A1) for a session from H(user:realm:password). */
export function sessionHA1(algorithm: DigestAlgorithm, userRealmPassword: string, nonce: string, cnonce: string | undefined): string {
  return isSess(algorithm) ? kdHex(hashOf(algorithm), userRealmPassword, nonce, cnonce ?? '') : userRealmPassword;
}

/** The entity hash of a body: its UTF-8 (string) or raw bytes. */
export function entityHash(hash: DigestHashName, entity: string | Uint8Array | undefined): string {
  return hashHex(hash, entity ?? '');
}

/**
 * The request digest (`response=`), or with an empty method the server's `rspauth`:
 * qop `auth` → KD(HA1, nonce:nc:cnonce:qop:H(A2)); `auth-int` adds H(body) to A2;
 * no qop (RFC 2069) → KD(HA1, nonce:H(A2)).
 * @throws SipError `unsupported-algorithm`
 * @example calculateDigest({ ha1, method: 'GET', uri: '/dir/index.html', nonce, nc: '00000001', cnonce: '0a4f113b', qop: 'auth' })
 * @see RFC 2617 §3.2.2.1, §3.2.2.3, §3.2.3; RFC 7616 §3.4.1, §3.4.3
 */
export function calculateDigest(args: DigestArguments): string {
  const hash = hashOf(algorithmOrThrow(args.algorithm));
  const qop = unquote(args.qop)?.toLowerCase();
  const uri = unquote(args.uri);
  const nonce = unquote(args.nonce);
  if (qop === 'auth-int') {
    const ha2 = kdHex(hash, args.method, uri, entityHash(hash, args.entity));
    return kdHex(hash, args.ha1, nonce, args.nc ?? '', unquote(args.cnonce) ?? '', qop, ha2);
  }
  const ha2 = kdHex(hash, args.method, uri);
  if (qop === 'auth') return kdHex(hash, args.ha1, nonce, args.nc ?? '', unquote(args.cnonce) ?? '', qop, ha2);
  return kdHex(hash, args.ha1, nonce, ha2);
}

/**
 * The classic `kd`: MD5 hex of the arguments joined with `:`.
 * @example kd('a', 'b') // md5('a:b')
 */
export function kd(...args: unknown[]): string {
  return kdHex('MD5', ...args.map((a) => String(a)));
}
