/**
 * Typed errors shared by every sipts layer: one {@link SipError} class, one closed list of codes.
 * docs/ERRORS.md has the table of every code: what it means, which layer raises it, what to do.
 * @see RFC 3261 §21 for the status codes an error maps to.
 */

/** Codes of {@link SipParseError}: each names the fault that was found in a message. */
export type SipParseErrorCode =
  | 'empty-message'
  | 'missing-header-end'
  | 'invalid-request-line'
  | 'invalid-method'
  | 'invalid-request-uri'
  | 'unsupported-version'
  | 'invalid-status-line'
  | 'invalid-status'
  | 'invalid-header-line'
  | 'invalid-header-name'
  | 'invalid-header-value'
  | 'invalid-via'
  | 'invalid-name-addr'
  | 'invalid-display-name'
  | 'unterminated-quote'
  | 'invalid-cseq'
  | 'cseq-method-mismatch'
  | 'invalid-max-forwards'
  | 'invalid-content-length'
  | 'multiple-content-length'
  | 'content-length-exceeds-body'
  | 'missing-content-length'
  | 'duplicate-header'
  | 'invalid-date'
  | 'invalid-auth'
  | 'invalid-uri'
  | 'too-many-headers'
  | 'header-too-large'
  | 'body-too-large'
  /** The parser itself failed (a bug in sipts, not in the input); the original exception is the `cause`. */
  | 'internal-error';

/** Codes any layer may raise: a caller's mistake, a bound that was hit, a bug in sipts. */
export type CommonErrorCode = 'invalid-argument' | 'invalid-state' | 'limit-exceeded' | 'internal-error';

/** Codes of `@sipts/transport`: sockets, connections, flows, DNS (RFC 3263), STUN keep-alives (RFC 5626). */
export type TransportErrorCode =
  | 'bind-failed'
  | 'connect-failed'
  | 'send-failed'
  | 'resolve-failed'
  | 'flow-failed'
  | 'keep-alive-timeout'
  | 'invalid-stun';

/** Codes of `@sipts/digest` (RFC 2617, RFC 7616, RFC 8760). */
export type DigestErrorCode = 'auth-rejected' | 'no-digest-challenge' | 'qop-negotiation-failed' | 'unsupported-algorithm';

/** Codes of `@sipts/dialog`: calls and the requests inside them (RFC 3261 §13–15, RFC 3262). */
export type DialogErrorCode = 'call-failed' | 'aborted' | 'cancelled' | 'ack-timeout' | 'prack-timeout';

/**
 * Every error code a sipts layer raises: a closed union, so a `switch` over it can be exhaustive.
 * The per-layer unions above compose into it; docs/ERRORS.md documents each code (meaning, the
 * layer that raises it, what a user should do).
 * @example
 * switch (e.code) { case 'send-failed': retry(); break; case 'invalid-argument': throw e; default: log(e.code) }
 */
export type SipErrorCode = SipParseErrorCode | CommonErrorCode | TransportErrorCode | DigestErrorCode | DialogErrorCode;

/**
 * Base class of every error sipts raises on purpose.
 * `status` is the SIP response to answer with when one applies (400, 408, 482, 483, 503, 505…).
 * @see docs/ERRORS.md for the table of codes.
 */
export class SipError extends Error {
  override name = 'SipError';
  readonly code: SipErrorCode;
  readonly status: number | undefined;

  constructor(code: SipErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }
}

/**
 * A message could not be parsed. `offset` is the byte offset in the input where the fault was
 * found and `detail` says what the fault is; `message` is `detail` with ` (at byte N)` added, for
 * people: code reads the fields, never the message text. `status` is the response a server
 * answers a request with (400, 505 for the version, 500 when the parser itself failed).
 * @example
 * try { parseMessage(bytes) } catch (e) { if (e instanceof SipParseError) console.log(e.code, e.offset, e.detail) }
 */
export class SipParseError extends SipError {
  override name = 'SipParseError';
  declare readonly code: SipParseErrorCode;
  readonly offset: number;
  readonly detail: string;

  constructor(code: SipParseErrorCode, detail: string, offset: number, status = 400, options?: { cause?: unknown }) {
    super(code, `${detail} (at byte ${String(offset)})`, { status, cause: options?.cause });
    this.offset = offset;
    this.detail = detail;
  }

  /**
   * The same fault found at another offset: for a parser that read a slice of the input and maps
   * the slice's offset back to the whole. Code, detail, status and cause are kept.
   * @example catch (e) { if (e instanceof SipParseError) throw e.withOffset(sliceStart + e.offset) }
   */
  withOffset(offset: number): SipParseError {
    return new SipParseError(this.code, this.detail, offset, this.status, { cause: this.cause });
  }
}

/** True when `e` is a {@link SipParseError}. */
export function isSipParseError(e: unknown): e is SipParseError {
  return e instanceof SipParseError;
}
