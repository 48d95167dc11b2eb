/**
 * What the four state machines share: calling their user (the TU) safely, and sending through the
 * transport port (RFC 3261 §17.1.4, §17.2.4: a transport error informs the TU). A send that went
 * out at once costs no Promise and no closure; only a send still under way reports later.
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { asSendError, type Logger, type PreparedResponse, type Remote, type SendListener, type Target } from '@sipts/transport';
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

/** Shared by every send that went out at once: no Promise per message. */
const SENT: Promise<void> = Promise.resolve();

/** The listener of one send that may finish later: tells the machine, and settles the TU's Promise if one was made. */
class PendingSend implements SendListener {
  resolve: (() => void) | undefined = undefined;
  reject: ((e: SipError) => void) | undefined = undefined;
  constructor(
    readonly onFail: (error: SipError) => void,
    readonly onDone: ((remote: Remote) => void) | undefined,
  ) {}
  onSendError(error: SipError): void {
    this.onFail(error);
    this.reject?.(error);
  }
  onSent(remote: Remote): void {
    this.onDone?.(remote);
    this.resolve?.();
  }
}

/**
 * Serializes and routes a response once (RFC 3261 §18.2.2), or the SipError that prevents it (no
 * Via). Keep the result to retransmit the same bytes with {@link sendPrepared}.
 */
export function prepare(ctx: TransactionContext, response: SipResponse, remote: Remote): PreparedResponse | SipError {
  try {
    return ctx.transport.prepareResponse(response, remote);
  } catch (e) {
    return asSendError(e, `cannot send a ${String(response.status)} response`);
  }
}

/** Sends (again) a prepared response; `onFail` on a transport error, now or later. */
export function sendPrepared(ctx: TransactionContext, prepared: PreparedResponse, onFail: (error: SipError) => void): void {
  const outcome = ctx.transport.sendResponse(prepared, new PendingSend(onFail, undefined));
  if (outcome instanceof SipError) onFail(outcome);
}

/**
 * Sends a response the TU asked for. On a transport error `onFail` runs (§17.2.4) and the returned
 * promise rejects with the error; a send that went out at once returns a shared resolved Promise.
 */
export function sendFromTu(ctx: TransactionContext, response: SipResponse, remote: Remote, onFail: (error: unknown) => void): Promise<void> {
  const prepared = prepare(ctx, response, remote);
  if (prepared instanceof SipError) {
    onFail(prepared);
    return Promise.reject(prepared);
  }
  const listener = new PendingSend(onFail, undefined);
  const outcome = ctx.transport.sendResponse(prepared, listener);
  if (outcome === 'sent') return SENT;
  if (outcome === 'pending') {
    return new Promise<void>((resolve, reject) => {
      listener.resolve = resolve;
      listener.reject = reject;
    });
  }
  onFail(outcome);
  return Promise.reject(outcome);
}

/** Sends a response of the transaction's own (100 Trying, retransmissions); `onFail` on a transport error. */
export function sendOwn(ctx: TransactionContext, response: SipResponse, remote: Remote, onFail: (error: unknown) => void): void {
  const prepared = prepare(ctx, response, remote);
  if (prepared instanceof SipError) onFail(prepared);
  else sendPrepared(ctx, prepared, onFail);
}

/**
 * Sends a request of a client transaction: `onFail` on a transport error (now or later, §17.1.4),
 * `onSent` with where it went when the send finished later (a connection's flow).
 */
export function sendRequest(ctx: TransactionContext, request: SipRequest, target: Target, onFail: (error: SipError) => void, onSent?: (remote: Remote) => void): void {
  const outcome = ctx.transport.sendRequest(request, target, new PendingSend(onFail, onSent));
  if (outcome instanceof SipError) onFail(outcome);
}
