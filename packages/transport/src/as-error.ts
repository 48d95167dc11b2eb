/**
 * Turning whatever a `catch` caught into an `Error`, for log records and rejected promises. It lives
 * here rather than in `@sipts/message` because only the transports need it, and every byte of the
 * parser's browser bundle counts.
 */
import { SipError, type SipErrorCode } from '@sipts/message';
/**
 * `value` when it is an `Error`, else a `SipError` with `code` that keeps the value as its `cause`:
 * for a `catch` whose value is `unknown` (JavaScript may throw anything) and a caller that wants
 * an `Error` (a log record, a rejected Promise).
 * @example promise.catch((e: unknown) => { logger.error('send failed', { error: asError(e, 'send-failed') }) })
 */
export function asError(value: unknown, code: SipErrorCode = 'internal-error'): Error {
  return value instanceof Error ? value : new SipError(code, String(value), { cause: value });
}
