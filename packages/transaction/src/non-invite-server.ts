/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2, Figure 8 ("non-INVITE server transaction").
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2
 *
 * ```
 * Trying ──1xx from TU──▶ Proceeding ──200-699 from TU──▶ Completed ──Timer J──▶ Terminated
 *    └──200-699 from TU───────────────────────────────────▲
 * ```
 * @see RFC 3261 §17.2.2, §17.2.4 (transport errors), Table 4
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote } from '@sipts/transport';
import type { TimerHandle } from './clock.js';
import { notifyUser, sendFromTu, sendOwn } from './user-calls.js';
import type { ServerTransaction, ServerTransactionUser, TransactionContext, TransactionOptions, TransactionState } from './types.js';

class NonInviteServerTransaction implements ServerTransaction {
  readonly kind = 'non-invite-server';
  state: TransactionState = 'trying';
  readonly #ctx: TransactionContext;
  readonly #reliable: boolean;
  readonly #user: ServerTransactionUser;
  /** The last response sent: re-sent for each retransmitted request (Proceeding, Completed). */
  #last: SipResponse | undefined;
  #timerJ: TimerHandle | undefined;
  /**
   * Not in the RFC: a TU that never answers would keep this transaction forever (Trying and
   * Proceeding have no timer). The client gives up at Timer F (64·T1), so after that the
   * transaction ends itself, telling the TU through `onTimeout`.
   */
  #unanswered: TimerHandle | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    options: TransactionOptions,
    user: ServerTransactionUser,
  ) {
    this.#ctx = options.context;
    this.#reliable = options.reliable;
    this.#user = user;
    this.#unanswered = this.#ctx.clock.set(64 * this.#ctx.timers.T1, this.#fireUnanswered);
  }

  respond(response: SipResponse): Promise<void> {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      return Promise.reject(new SipError('invalid-argument', `cannot send a response with status ${String(status)}`));
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding': {
        this.#last = response;
        if (status < 200) {
          // Figure 8: "1xx from TU / send response" → Proceeding.
          this.state = 'proceeding';
          return this.#sendFromTu(response);
        }
        // "200-699 from TU / send response" → Completed, for Timer J (64·T1 unreliable, 0 reliable).
        this.state = 'completed';
        this.#clearUnanswered();
        const sent = this.#sendFromTu(response);
        if (this.#reliable) {
          if (this.#still('completed')) this.#end();
        } else if (this.#still('completed')) {
          this.#timerJ = this.#ctx.clock.set(64 * this.#ctx.timers.T1, this.#fireJ);
        }
        return sent;
      }
      case 'completed':
      case 'terminated':
      case 'calling':
      case 'confirmed':
      case 'accepted':
        return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)}: the ${this.request.method} server transaction is ${this.state}`));
    }
  }

  receiveRequest(request: SipRequest, _remote: Remote): void {
    if (request.method !== this.request.method) return;
    switch (this.state) {
      case 'trying':
        // §17.2.2: retransmissions in Trying are discarded (nothing to answer with yet).
        return;
      case 'proceeding':
      case 'completed':
        // §17.2.2: the last response goes out again.
        if (this.#last !== undefined) this.#send(this.#last);
        return;
      case 'terminated':
      case 'calling':
      case 'confirmed':
      case 'accepted':
        return;
    }
  }

  terminate(): void {
    this.#end();
  }

  readonly #fireUnanswered = (): void => {
    this.#unanswered = undefined;
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.#ctx.logger.warn('no final response from the TU within 64*T1: the server transaction ends', { method: this.request.method });
    if (this.#user.onTimeout !== undefined) {
      this.#notify('onTimeout', () => {
        this.#user.onTimeout?.();
      });
    }
    this.#end();
  };

  readonly #fireJ = (): void => {
    this.#timerJ = undefined;
    this.#end();
  };

  /** A send the TU asked for: its promise rejects when the transport fails. */
  #sendFromTu(response: SipResponse): Promise<void> {
    return sendFromTu(this.#ctx, response, this.remote, this.#onSendFailed);
  }

  /** A retransmission of the last response. */
  #send(response: SipResponse): void {
    sendOwn(this.#ctx, response, this.remote, this.#onSendFailed);
  }

  readonly #onSendFailed = (error: unknown): void => {
    this.#failed(error);
  };


  /**
   * §17.2.4: a transport error informs the TU and ends the transaction. After Terminated (Timer J
   * is zero over reliable transports) the TU learns of a failed send from `respond`'s rejection.
   */
  #failed(error: unknown): void {
    if (this.state === 'terminated') {
      this.#ctx.logger.debug('a response send failed after the transaction ended', { error });
      return;
    }
    if (this.#user.onTransportError !== undefined) {
      this.#notify('onTransportError', () => {
        this.#user.onTransportError?.(error);
      });
    }
    this.#end();
  }

  /** Terminated: Timer J cleared, the user told once. */
  #end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    if (this.#timerJ !== undefined) this.#ctx.clock.clear(this.#timerJ);
    this.#timerJ = undefined;
    this.#clearUnanswered();
    if (this.#user.onTerminated !== undefined) {
      this.#notify('onTerminated', () => {
        this.#user.onTerminated?.();
      });
    }
  }

  #clearUnanswered(): void {
    if (this.#unanswered !== undefined) this.#ctx.clock.clear(this.#unanswered);
    this.#unanswered = undefined;
  }

  /** True if the transaction is still in `state` (a TU callback or a failed send may have ended it). */
  #still(state: TransactionState): boolean {
    return this.state === state;
  }

  /** The TU's callbacks never break the state machine: a throw is logged. */
  #notify(what: string, fn: () => void): void {
    notifyUser(this.#ctx.logger, 'server transaction', what, fn);
  }
}

/**
 * Creates the non-INVITE server transaction for a received request, in Trying (the caller passes
 * the request to the TU). Retransmissions are discarded in Trying and answered with the last
 * response in Proceeding and Completed. A provisional from the TU moves to Proceeding; a final to
 * Completed for Timer J (64·T1 unreliable, 0 reliable). A failed send calls `onTransportError`
 * and ends the transaction; `onTerminated` runs once.
 * @throws nothing; `respond` rejects with SipError `invalid-state` after a final response, and
 *   with the transport's error when the send fails.
 * @example
 * const st = createNonInviteServerTransaction(options, remote, { context, reliable: false }, user);
 * await st.respond(makeResponse(options, 200, undefined, { toTag }));
 * @see RFC 3261 §17.2.2, Figure 8, Table 4
 */
export function createNonInviteServerTransaction(request: SipRequest, remote: Remote, options: TransactionOptions, user: ServerTransactionUser): ServerTransaction {
  return new NonInviteServerTransaction(request, remote, options, user);
}
