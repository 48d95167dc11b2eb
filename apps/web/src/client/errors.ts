/**
 * Failures in plain words for the page: each has a `kind` the UI may branch on and a sentence a
 * person can act on, never a stack trace or a status code alone.
 */
import type { SipResponse } from '@sipts/message';

/** What went wrong, as the user sees it. */
export type ClientErrorKind =
  | 'bad-address'
  | 'bad-url'
  | 'unreachable'
  | 'timeout'
  | 'wrong-password'
  | 'user-unknown'
  | 'forbidden'
  | 'rejected'
  | 'not-registered';

/** An error the UI shows as is. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** The status of the SIP response behind it, when there was one. */
  readonly status: number | undefined;

  /** @example new ClientError('unreachable', 'Cannot reach the server at ws://127.0.0.1:8088.') */
  constructor(
    readonly kind: ClientErrorKind,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/** True when `e` is a {@link ClientError}. */
export function isClientError(e: unknown): e is ClientError {
  return e instanceof ClientError;
}

/**
 * The plain-words error for a final response that ended a REGISTER or a MESSAGE. `synthesized`:
 * the transaction layer made it up (no answer: 408; could not send: 503), so nothing came back
 * from the server.
 * @example errorForResponse(rs, { what: 'register', server: url, synthesized: remote === undefined })
 * @see RFC 3261 §21 (status codes), §17.1.4 (transport errors), §17.1.2.2 (Timer F)
 */
export function errorForResponse(rs: SipResponse, context: { what: 'register' | 'message'; server: string; target?: string; synthesized: boolean }): ClientError {
  const status = rs.status;
  const who = context.target ?? 'the other user';
  if (context.synthesized) {
    if (status === 408) return new ClientError('timeout', `The server at ${context.server} did not answer in time.`, { status });
    return new ClientError('unreachable', `Cannot reach the server at ${context.server}. Check the address and that the server is running.`, { status });
  }
  if (status === 401 || status === 407) return new ClientError('wrong-password', 'Wrong user name or password.', { status });
  if (status === 403) {
    return context.what === 'register'
      ? new ClientError('forbidden', 'The server does not allow this account to sign in here.', { status })
      : new ClientError('forbidden', `The server refused to deliver the message to ${who}.`, { status });
  }
  if (status === 404 || status === 604) {
    return context.what === 'register'
      ? new ClientError('user-unknown', 'The server does not know this user.', { status })
      : new ClientError('user-unknown', `There is no user ${who} on this server.`, { status });
  }
  if (context.what === 'message' && (status === 480 || status === 410)) {
    return new ClientError('rejected', `${who} is not signed in right now.`, { status });
  }
  if (status === 408) return new ClientError('timeout', context.what === 'message' ? `${who} did not answer in time.` : 'The server did not answer in time.', { status });
  if (status >= 500) return new ClientError('unreachable', `The server could not handle the request right now (${String(status)} ${rs.reason ?? ''}).`.replace(' )', ')'), { status });
  return new ClientError('rejected', `The server said no: ${String(status)} ${rs.reason ?? ''}.`.replace(' .', '.'), { status });
}
