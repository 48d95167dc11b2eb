/**
 * Typed errors shared by every sipts layer.
 * @see RFC 3261 §21 for the status codes an error maps to.
 */

/** Every error code a sipts layer raises. Parse codes are listed in {@link SipParseErrorCode}. */
export type SipErrorCode = SipParseErrorCode | 'limit-exceeded' | 'invalid-argument' | (string & {});

/** Codes of {@link SipParseError}: each names the fault that was found. */
export type SipParseErrorCode =
  | 'empty-message'
  | 'missing-header-end'
  | 'invalid-start-line'
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
  | 'message-too-large';

/**
 * Base class of every error sipts raises on purpose.
 * `status` is the SIP response to answer with when one applies (400, 408, 482, 483, 503, 505…).
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
 * found; `status` is the response a server answers a request with (400, or 505 for the version).
 * @example
 * try { parseMessage(bytes) } catch (e) { if (e instanceof SipParseError) console.log(e.code, e.offset) }
 */
export class SipParseError extends SipError {
  override name = 'SipParseError';
  declare readonly code: SipParseErrorCode;
  readonly offset: number;

  constructor(code: SipParseErrorCode, message: string, offset: number, status = 400) {
    super(code, `${message} (at byte ${String(offset)})`, { status });
    this.offset = offset;
  }
}

/** True when `e` is a {@link SipParseError}. */
export function isSipParseError(e: unknown): e is SipParseError {
  return e instanceof SipParseError;
}
