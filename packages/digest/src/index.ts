/**
 * @sipts/digest: SIP digest authentication (RFC 2617, RFC 7616, RFC 8760) with MD5, SHA-256 and
 * SHA-512/256, for servers (registrars, proxies) and clients, plus the classic `sip/digest` API.
 * Runs unchanged in browsers and Node.
 * @packageDocumentation
 */
export {
  DIGEST_ALGORITHMS,
  hashHex,
  normalizeAlgorithm,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
} from './algorithms.js';
export {
  calculateDigest,
  calculateHA1,
  calculateUserhash,
  calculateUserRealmPasswordHash,
  kd,
  type DigestArguments,
  type HA1Arguments,
} from './compute.js';
export { challenge, authenticateRequest, signResponse, generateNonce, extractNonceTimestamp } from './classic-server.js';
export { signRequest, authenticateResponse } from './classic-client.js';
export type { DigestCredentials, DigestSession } from './classic-session.js';
export { createDigestServer, type DigestServer, type DigestServerOptions } from './server.js';
export type {
  CredentialQuery,
  CredentialSource,
  DigestFailure,
  DigestFailureReason,
  DigestSuccess,
  DigestVerification,
  StoredCredentials,
} from './verify.js';
export { createDigestClient, type DigestClient, type DigestClientOptions } from './client.js';
export type { DigestSecret } from './secret.js';
export {
  createMemoryNonceCountStore,
  type MemoryNonceCountStoreOptions,
  type NonceCountResult,
  type NonceCountStore,
  type NonceUse,
  type SyncNonceCountStore,
} from './nonce-count-store.js';
export { readChallenge, pickChallenge, type DigestChallenge } from './challenge.js';
export { parseCredentials, type DigestCredentialParams, type ParsedCredentials } from './credentials.js';
export { decodeExtValue, encodeExtValue } from './quote.js';
