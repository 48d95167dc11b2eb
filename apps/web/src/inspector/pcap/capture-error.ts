/**
 * The one error a capture file can produce. Reading stops at the first one; every packet read
 * before it is kept.
 */

/** What went wrong: not a capture at all, cut short, or a structure that cannot be right. */
export type CaptureErrorCode = 'not-a-capture' | 'truncated' | 'malformed' | 'unsupported';

/**
 * A capture file that cannot be read past `offset` (a byte offset in the file).
 * @example if (e instanceof CaptureError) status(`${e.message} at byte ${e.offset}`)
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A type guard for {@link CaptureError}, also across a worker's structured clone (by shape). */
export function isCaptureError(e: unknown): e is CaptureError {
  return e instanceof CaptureError;
}
