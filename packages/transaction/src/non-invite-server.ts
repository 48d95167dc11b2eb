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
import type { PreparedResponse, Remote } from '@sipts/transport';
import { TransactionBase, type TimerSlot } from './transaction-base.js';
import type { ServerTransaction, ServerTransactionUser, TransactionOptions } from './types.js';

/** The states of Figure 8 (Terminated is common to every machine). */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed';

/** Slot 0: the unanswered-TU guard in Trying/Proceeding, Timer J in Completed. */
const SLOT = 0;

class NonInviteServerTransaction extends TransactionBase<NonInviteServerState> implements ServerTransaction {
  readonly kind = 'non-invite-server';
  protected readonly who = 'server transaction';
  declare protected readonly user: ServerTransactionUser;
  /** The serialized last response: re-sent for each retransmitted request (Proceeding, Completed). */
  #last: PreparedResponse | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    options: TransactionOptions,
    user: ServerTransactionUser,
  ) {
    super('trying', options, user);
    if (options.startLater !== true) this.begin();
  }

  /**
   * Not in the RFC: a TU that never answers would keep this transaction forever (Trying and
   * Proceeding have no timer). The client gives up at Timer F (64·T1), so after that the
   * transaction ends itself, telling the TU through `onTimeout`. Nothing to arm once a final
   * response went out.
   */
  begin(): void {
    const state = this.state;
    if ((state === 'trying' || state === 'proceeding') && !this.timerRunning(SLOT)) this.startTimer(SLOT, 64 * this.ctx.timers.T1);
  }

  respond(response: SipResponse): Promise<void> {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      return Promise.reject(new SipError('invalid-argument', `cannot send a response with status ${String(status)}`));
    }
    const state = this.state;
    if (state !== 'trying' && state !== 'proceeding') {
      return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)}: the ${this.request.method} server transaction is ${state}`));
    }
    // Only an unreliable transport ever re-sends, so only there are the bytes kept.
    const keep = !this.reliable;
    if (status < 200) {
      // Figure 8: "1xx from TU / send response" → Proceeding.
      this.state = 'proceeding';
      const { bytes, sent } = this.sendResponseAwaited(response, this.remote, keep);
      this.#last = bytes;
      return sent;
    }
    // "200-699 from TU / send response" → Completed, for Timer J (64·T1 unreliable, 0 reliable).
    this.state = 'completed';
    this.stopTimer(SLOT);
    const { bytes, sent } = this.sendResponseAwaited(response, this.remote, keep);
    this.#last = bytes;
    if (!this.still('completed')) return sent;
    if (this.reliable) {
      this.end();
    } else if (bytes !== undefined && this.user.onWaiting?.({ what: 'completed', remote: this.remote, bytes, ms: 64 * this.ctx.timers.T1 }) === true) {
      // The layer keeps the bytes for Timer J: this object is no longer needed.
      this.#last = undefined;
    } else {
      this.startTimer(SLOT, 64 * this.ctx.timers.T1);
    }
    return sent;
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
        if (this.#last !== undefined) this.resendBytes(this.#last);
        return;
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    this.end();
  }

  protected onTimer(_slot: TimerSlot): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.ctx.logger.warn('no final response from the TU within 64*T1: the server transaction ends', { method: this.request.method });
        if (this.user.onTimeout !== undefined) this.notify('onTimeout', () => this.user.onTimeout?.());
        this.end();
        return;
      case 'completed':
        // Timer J.
        this.end();
        return;
      case 'terminated':
        return;
    }
  }

  /**
   * §17.2.4: a transport error informs the TU and ends the transaction. After Terminated (Timer J
   * is zero over reliable transports) the TU learns of a failed send from `respond`'s rejection.
   */
  protected onSendFailed(error: unknown): void {
    if (this.user.onTransportError !== undefined) this.notify('onTransportError', () => this.user.onTransportError?.(error));
    this.end();
  }
}

/**
 * Creates the non-INVITE server transaction for a received request, in Trying (the caller passes
 * the request to the TU). Retransmissions are discarded in Trying and answered with the last
 * response in Proceeding and Completed, from the bytes first sent. A provisional from the TU moves
 * to Proceeding; a final to Completed for Timer J (64·T1 unreliable, 0 reliable) — kept by the
 * user instead when its `onWaiting` takes it (the transaction layer's table of waiting
 * transactions). A failed send calls `onTransportError` and ends the transaction; `onTerminated`
 * runs once.
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
