/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2, Figure 6 ("non-INVITE client transaction").
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2
 *
 * ```
 * Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──Timer K──▶ Terminated
 *    └──200-699──────────────────────────▲
 * Trying/Proceeding ──Timer F / transport error──▶ Terminated
 * ```
 * @see RFC 3261 §17.1.2, §17.1.4 (transport errors), Table 4; RFC 4320 (no change to the machine)
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import type { Remote, Target } from '@sipts/transport';
import { requireBranch } from './invite-client.js';
import { TransactionBase, type TimerSlot } from './transaction-base.js';
import type { ClientTransaction, ClientTransactionUser, TransactionOptions } from './types.js';

/** The states of Figure 6 (Terminated is common to every machine). */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed';

/** Slot 0: Timer E (Trying, Proceeding), Timer K (Completed). */
const MAIN = 0;
/** Slot 1: Timer F (Trying, Proceeding). */
const TIMER_F = 1;

class NonInviteClientTransaction extends TransactionBase<NonInviteClientState> implements ClientTransaction {
  readonly kind = 'non-invite-client';
  protected readonly who = 'client transaction';
  declare protected readonly user: ClientTransactionUser;
  readonly branch: string;
  #started = false;
  #intervalE = 0;

  constructor(
    readonly request: SipRequest,
    readonly target: Target,
    options: TransactionOptions,
    user: ClientTransactionUser,
  ) {
    super('trying', options, user);
    this.branch = requireBranch(request);
  }

  protected override logAttrs(): Record<string, unknown> {
    return { branch: this.branch };
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { timers } = this.ctx;
    // §17.1.2.2: Timer E (T1, doubling up to T2) only over unreliable transports; Timer F 64·T1.
    if (!this.reliable) {
      this.#intervalE = timers.T1;
      this.startTimer(MAIN, timers.T1);
    }
    this.startTimer(TIMER_F, 64 * timers.T1);
    this.sendRequest(this.request, this.target);
  }

  receiveResponse(response: SipResponse, remote: Remote): void {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      this.ctx.logger.debug('ignored a response with a status out of range', { status, branch: this.branch });
      return;
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) {
          // Figure 6: 1xx → Proceeding. Timers E and F keep running (E is reset to T2 when it fires).
          this.state = 'proceeding';
          this.#deliver(response, remote);
          return;
        }
        this.#enterCompleted(response, remote);
        return;
      case 'completed':
        // §17.1.2.2: retransmissions of the final response are absorbed.
        return;
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    this.end();
  }

  /** A response to the TU (a throw is logged: it never breaks the machine); no closure per response. */
  #deliver(response: SipResponse, remote: Remote): void {
    try {
      this.user.onResponse(response, remote);
    } catch (e) {
      this.ctx.logger.error(`the ${this.who} user's onResponse threw`, { error: e, branch: this.branch });
    }
  }

  #enterCompleted(response: SipResponse, remote: Remote): void {
    this.state = 'completed';
    this.stopTimer(MAIN);
    this.stopTimer(TIMER_F);
    this.#deliver(response, remote);
    if (!this.still('completed')) return;
    // Timer K: zero over reliable transports; T4 over unreliable ones, kept by the user (the
    // layer's compact table) when it takes the hand-off: nothing of this object is needed then.
    if (this.reliable) this.end();
    else if (this.user.onWaiting?.({ what: 'completed', ms: this.ctx.timers.T4 }) !== true) this.startTimer(MAIN, this.ctx.timers.T4);
  }

  protected onTimer(slot: TimerSlot): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (slot === MAIN) this.#fireE();
        else this.#fireF();
        return;
      case 'completed': // Timer K
        this.end();
        return;
      case 'terminated':
        return;
    }
  }

  #fireE(): void {
    const { timers } = this.ctx;
    // §17.1.2.2: MIN(2·interval, T2) in Trying; in Proceeding, Timer E is reset to T2.
    this.#intervalE = this.state === 'trying' ? Math.min(2 * this.#intervalE, timers.T2) : timers.T2;
    this.startTimer(MAIN, this.#intervalE);
    this.sendRequest(this.request, this.target);
  }

  #fireF(): void {
    this.notify('onTimeout', () => { this.user.onTimeout(); });
    this.end();
  }

  /** §17.1.4: a transport error while the request is outstanding informs the TU and ends the transaction. */
  protected onSendFailed(error: unknown): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      this.ctx.logger.debug('a send of the request failed after its final response', { error, branch: this.branch });
      return;
    }
    this.notify('onTransportError', () => { this.user.onTransportError(error); });
    this.end();
  }
}

/**
 * Creates a non-INVITE client transaction for `request` (which carries its top Via with a
 * branch), sent to `target` once `start()` is called.
 *
 * Timer E retransmits over unreliable transports only, at T1 doubling up to T2 in Trying and every
 * T2 in Proceeding; Timer F (64·T1) runs through Trying and Proceeding and ends them with
 * `onTimeout`. A final response moves to Completed, which absorbs retransmissions for Timer K
 * (T4 unreliable, 0 reliable). With the defaults over UDP the request goes out at 0, 0.5, 1.5,
 * 3.5, 7.5, 11.5, 15.5, … 31.5 s and Timer F fires at 32 s.
 * @throws SipError `invalid-argument` if the request has no top Via branch.
 * @example
 * const ct = createNonInviteClientTransaction(options, target, { context, reliable: false }, user);
 * ct.start();
 * @see RFC 3261 §17.1.2, Figure 6, Table 4
 */
export function createNonInviteClientTransaction(request: SipRequest, target: Target, options: TransactionOptions, user: ClientTransactionUser): ClientTransaction {
  return new NonInviteClientTransaction(request, target, options, user);
}
