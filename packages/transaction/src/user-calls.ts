/**
 * What the four state machines share: calling their user (the TU) safely, and sending a
 * response with the transport-error rule of RFC 3261 §17.2.4.
 */
import { SipError, type SipResponse } from '@sipts/message';
import type { Logger, Remote } from '@sipts/transport';
import type { TransactionContext } from './types.js';

/**
 * Calls a TU callback: a throw is logged and never breaks the state machine.
 * `who` names the transaction in the log line, e.g. "client transaction".
 */
export function notifyUser(logger: Logger, who: string, what: string, fn: () => void, attrs?: Record<string, unknown>): void {
  try {
    fn();
  } catch (e) {
    logger.error(`the ${who} user's ${what} threw`, { error: e, ...attrs });
  }
}

/**
 * Sends a response the TU asked for. On a transport error `onFail` runs (§17.2.4) and the returned
 * promise rejects with the error.
 */
export function sendFromTu(ctx: TransactionContext, response: SipResponse, remote: Remote, onFail: (error: unknown) => void): Promise<void> {
  let sent: Promise<Remote>;
  try {
    sent = ctx.transport.sendResponse(response, remote);
  } catch (e) {
    onFail(e);
    return Promise.reject(e instanceof Error ? e : new SipError('transport-error', 'cannot send a response', { status: 503, cause: e }));
  }
  return sent.then(
    () => undefined,
    (e: unknown) => {
      onFail(e);
      throw e;
    },
  );
}

/** Sends a response of the transaction's own (100 Trying, retransmissions); `onFail` on a transport error. */
export function sendOwn(ctx: TransactionContext, response: SipResponse, remote: Remote, onFail: (error: unknown) => void): void {
  let sent: Promise<Remote>;
  try {
    sent = ctx.transport.sendResponse(response, remote);
  } catch (e) {
    onFail(e);
    return;
  }
  sent.then(undefined, onFail);
}
