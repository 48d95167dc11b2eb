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
import type { TimerHandle } from './clock.js';
import { notifyUser, sendRequest } from './user-calls.js';
import { requireBranch } from './invite-client.js';
import type { ClientTransaction, ClientTransactionUser, TransactionContext, TransactionOptions, TransactionState } from './types.js';

class NonInviteClientTransaction implements ClientTransaction {
  readonly kind = 'non-invite-client';
  state: TransactionState = 'trying';
  readonly branch: string;
  readonly #ctx: TransactionContext;
  readonly #reliable: boolean;
  readonly #user: ClientTransactionUser;
  #started = false;
  #intervalE = 0;
  #timerE: TimerHandle | undefined;
  #timerF: TimerHandle | undefined;
  #timerK: TimerHandle | undefined;

  constructor(
    readonly request: SipRequest,
    readonly target: Target,
    options: TransactionOptions,
    user: ClientTransactionUser,
  ) {
    this.branch = requireBranch(request);
    this.#ctx = options.context;
    this.#reliable = options.reliable;
    this.#user = user;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { clock, timers } = this.#ctx;
    // §17.1.2.2: Timer E (T1, doubling up to T2) only over unreliable transports; Timer F 64·T1.
    if (!this.#reliable) {
      this.#intervalE = timers.T1;
      this.#timerE = clock.set(timers.T1, this.#fireE);
    }
    this.#timerF = clock.set(64 * timers.T1, this.#fireF);
    this.#send();
  }

  receiveResponse(response: SipResponse, remote: Remote): void {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      this.#ctx.logger.debug('ignored a response with a status out of range', { status, branch: this.branch });
      return;
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) {
          // Figure 6: 1xx → Proceeding. Timers E and F keep running (E is reset to T2 when it fires).
          this.state = 'proceeding';
          this.#notify('onResponse', () => {
            this.#user.onResponse(response, remote);
          });
          return;
        }
        this.#enterCompleted(response, remote);
        return;
      case 'completed':
        // §17.1.2.2: retransmissions of the final response are absorbed.
        return;
      case 'calling':
      case 'confirmed':
      case 'accepted':
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    this.#end();
  }

  #enterCompleted(response: SipResponse, remote: Remote): void {
    this.state = 'completed';
    this.#clearE();
    this.#clearF();
    // Timer K: T4 over unreliable transports, zero over reliable ones.
    if (!this.#reliable) this.#timerK = this.#ctx.clock.set(this.#ctx.timers.T4, this.#fireK);
    this.#notify('onResponse', () => {
      this.#user.onResponse(response, remote);
    });
    if (this.#reliable && this.#still('completed')) this.#end();
  }

  readonly #fireE = (): void => {
    this.#timerE = undefined;
    const { clock, timers } = this.#ctx;
    if (this.state === 'trying') {
      // §17.1.2.2: MIN(2·interval, T2).
      this.#intervalE = Math.min(2 * this.#intervalE, timers.T2);
    } else if (this.state === 'proceeding') {
      // §17.1.2.2: in Proceeding, Timer E is reset to T2.
      this.#intervalE = timers.T2;
    } else {
      return;
    }
    this.#timerE = clock.set(this.#intervalE, this.#fireE);
    this.#send();
  };

  readonly #fireF = (): void => {
    this.#timerF = undefined;
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.#notify('onTimeout', () => {
      this.#user.onTimeout();
    });
    this.#end();
  };

  readonly #fireK = (): void => {
    this.#timerK = undefined;
    this.#end();
  };

  #send(): void {
    sendRequest(this.#ctx, this.request, this.target, this.#onSendFailed);
  }

  readonly #onSendFailed = (error: unknown): void => {
    this.#failed(error);
  };

  /** §17.1.4: a transport error while the request is outstanding informs the TU and ends the transaction. */
  #failed(error: unknown): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      this.#ctx.logger.debug('a send of the request failed after its final response', { error, branch: this.branch });
      return;
    }
    this.#notify('onTransportError', () => {
      this.#user.onTransportError(error);
    });
    this.#end();
  }

  #clearE(): void {
    if (this.#timerE === undefined) return;
    this.#ctx.clock.clear(this.#timerE);
    this.#timerE = undefined;
  }

  #clearF(): void {
    if (this.#timerF === undefined) return;
    this.#ctx.clock.clear(this.#timerF);
    this.#timerF = undefined;
  }

  /** Terminated: every timer cleared, the user told once. */
  #end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.#clearE();
    this.#clearF();
    if (this.#timerK !== undefined) this.#ctx.clock.clear(this.#timerK);
    this.#timerK = undefined;
    if (this.#user.onTerminated !== undefined) {
      this.#notify('onTerminated', () => {
        this.#user.onTerminated?.();
      });
    }
  }

  /** True if the transaction is still in `state` (a TU callback or a failed send may have ended it). */
  #still(state: TransactionState): boolean {
    return this.state === state;
  }

  /** The TU's callbacks never break the state machine: a throw is logged. */
  #notify(what: string, fn: () => void): void {
    notifyUser(this.#ctx.logger, 'client transaction', what, fn, { branch: this.branch });
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
