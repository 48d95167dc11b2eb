/**
 * Errors of the dialog layer: a call that ended with a final non-2xx response.
 */
import { SipError, type SipResponse } from '@sipts/message';

/**
 * An INVITE (or an in-dialog request) got a final non-2xx response (real or synthesized: 408, 487,
 * 503). `status` and `response` say which.
 * @example try { await ua.invite({ to }) } catch (e) { if (e instanceof CallFailedError) log(e.status) }
 * @see RFC 3261 §13.2.2.3
 */
export class CallFailedError extends SipError {
  override name = 'CallFailedError';
  readonly response: SipResponse;

  constructor(response: SipResponse, options?: { cause?: unknown }) {
    super('call-failed', `the call failed: ${String(response.status)} ${response.reason ?? ''}`.trim(), {
      status: response.status,
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
    });
    this.response = response;
  }
}
