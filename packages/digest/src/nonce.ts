/**
 * Stateless server nonces: `base64url(time ‖ random ‖ HMAC-SHA-256(secret, realm, time ‖ random))`.
 * The nonce carries its own issue time and proves that this server (or another instance sharing the
 * secret) issued it for this realm: no table of issued nonces is needed.
 * @see RFC 7616 §3.3 (nonce: "time-stamp H(time-stamp ":" ETag ":" secret-data)"), §5.5
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64Url, randomBytes, toBase64Url } from './random.js';
import { timingSafeEqual } from './timing-safe-equal.js';

const TIME_BYTES = 6;
const RANDOM_BYTES = 10;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
const encoder = new TextEncoder();

/** What {@link NonceFactory.check} found. */
export type NonceCheck =
  | { valid: false }
  | {
      valid: true;
      /** When it was issued (ms, the factory's clock). */
      issuedAt: number;
      /** Older than the lifetime, or issued further in the future than the allowed drift. */
      expired: boolean;
    };

/** Issues and checks nonces for one secret. */
export interface NonceFactory {
  issue(realm: string, now: number): string;
  check(nonce: string, realm: string, now: number): NonceCheck;
}

/** Options of {@link createNonceFactory}. */
export interface NonceFactoryOptions {
  /** The HMAC key; instances that share it accept each other's nonces. */
  secret: Uint8Array;
  /** How long a nonce is good for, in ms. */
  lifetime: number;
  /** How far in the future an issue time may be (clock skew between instances), in ms. Default 3000. */
  maxDrift?: number;
}

/** The secret as bytes (a string is taken as UTF-8). */
export function secretBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? encoder.encode(secret) : secret;
}

function mac(secret: Uint8Array, realm: string, body: Uint8Array): Uint8Array {
  const label = encoder.encode(`sipts-digest-nonce\0${realm}\0`);
  const msg = new Uint8Array(label.length + body.length);
  msg.set(label);
  msg.set(body, label.length);
  return hmac(sha256, secret, msg).subarray(0, MAC_BYTES);
}

function writeTime(out: Uint8Array, ms: number): void {
  const t = Math.max(0, Math.floor(ms));
  const high = Math.floor(t / 2 ** 32);
  const low = t >>> 0;
  out[0] = (high >>> 8) & 0xff;
  out[1] = high & 0xff;
  out[2] = low >>> 24;
  out[3] = (low >>> 16) & 0xff;
  out[4] = (low >>> 8) & 0xff;
  out[5] = low & 0xff;
}

function readTime(b: Uint8Array): number {
  const high = ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  const low = (((b[2] ?? 0) << 24) | ((b[3] ?? 0) << 16) | ((b[4] ?? 0) << 8) | (b[5] ?? 0)) >>> 0;
  return high * 2 ** 32 + low;
}

/**
 * The issue time written in a nonce of this format, without checking its MAC (for a nonce that
 * comes from trusted storage), or undefined when it is not one.
 */
export function nonceTime(nonce: string): number | undefined {
  const bytes = fromBase64Url(nonce);
  return bytes?.length === NONCE_BYTES ? readTime(bytes) : undefined;
}

/**
 * A nonce factory for one secret and lifetime.
 * @example
 * const nonces = createNonceFactory({ secret, lifetime: 300_000 });
 * const n = nonces.issue('example.com', Date.now());
 * nonces.check(n, 'example.com', Date.now()) // { valid: true, issuedAt, expired: false }
 * @see RFC 7616 §3.3, §5.5
 */
export function createNonceFactory(options: NonceFactoryOptions): NonceFactory {
  const { secret, lifetime } = options;
  const maxDrift = options.maxDrift ?? 3000;
  return {
    issue(realm, now) {
      const body = new Uint8Array(TIME_BYTES + RANDOM_BYTES);
      writeTime(body, now);
      body.set(randomBytes(RANDOM_BYTES), TIME_BYTES);
      const out = new Uint8Array(NONCE_BYTES);
      out.set(body);
      out.set(mac(secret, realm, body), body.length);
      return toBase64Url(out);
    },
    check(nonce, realm, now) {
      const bytes = fromBase64Url(nonce);
      if (bytes?.length !== NONCE_BYTES) return { valid: false };
      const body = bytes.subarray(0, TIME_BYTES + RANDOM_BYTES);
      const expected = toBase64Url(mac(secret, realm, body));
      if (!timingSafeEqual(toBase64Url(bytes.subarray(body.length)), expected)) return { valid: false };
      const issuedAt = readTime(bytes);
      const expired = now - issuedAt > lifetime || issuedAt - now > maxDrift;
      return { valid: true, issuedAt, expired };
    },
  };
}
