/**
 * @sipts/sip/digest: the classic `sip/digest` module (RFC 2617 digest, server and client), from
 * `@sipts/digest`, which adds SHA-256 and SHA-512/256 (RFC 7616, RFC 8760) and fixes the classic
 * module's bugs (see the README).
 * @packageDocumentation
 */
export {
  kd,
  calculateUserRealmPasswordHash,
  calculateHA1,
  calculateDigest,
  generateNonce,
  extractNonceTimestamp,
  challenge,
  authenticateRequest,
  signResponse,
  signRequest,
  authenticateResponse,
  type DigestCredentials,
  type DigestSession,
  type DigestArguments,
  type HA1Arguments,
} from '@sipts/digest';
