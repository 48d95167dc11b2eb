/**
 * INVITE client transaction: RFC 3261 §17.1.1, Figure 5 ("INVITE client transaction"), as updated
 * by RFC 6026 §7.2 and its Figure 5 (the Accepted state and Timer M).
 * https://www.rfc-editor.org/rfc/rfc6026#section-7.2 — https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1
 *
 * ```
 * Calling ──1xx──▶ Proceeding ──300-699 (ACK sent)──▶ Completed ──Timer D──▶ Terminated
 *    │  └──────────────┴──2xx──▶ Accepted ──Timer M──▶ Terminated
 *    └──Timer B / transport error──▶ Terminated
 * ```
 * @see RFC 3261 §17.1.1, §17.1.1.3 (the ACK), §17.1.4 (transport errors), Table 4; RFC 6026 §7.2
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, Target } from '@sipts/transport';
import { buildAckForNonSuccess } from './ack.js';
import type { TimerHandle } from './clock.js';
import { notifyUser, sendRequest } from './user-calls.js';
import type { ClientTransaction, ClientTransactionUser, TransactionContext, TransactionOptions, TransactionState } from './types.js';

/** RFC 3261 Table 4: Timer D is at least 32 s over unreliable transports. */
const TIMER_D_MIN = 32_000;

/** The branch of the top Via, which the request must already carry (§8.1.1.7). */
export function requireBranch(request: SipRequest): string {
  const branch = request.headers.via?.[0]?.params.branch;
  if (typeof branch !== 'string' || branch === '') {
    throw new SipError('invalid-argument', `a ${request.method} needs a top Via with a branch before a transaction sends it`);
  }
  return branch;
}

class InviteClientTransaction implements ClientTransaction {
  readonly kind = 'invite-client';
  state: TransactionState = 'calling';
  readonly branch: string;
  readonly #ctx: TransactionContext;
  readonly #reliable: boolean;
  readonly #user: ClientTransactionUser;
  #started = false;
  /** Where the INVITE went (flow included): the ACK must go to the same place (§17.1.1.3). */
  #sentTo: Remote | undefined;
  #ack: SipRequest | undefined;
  #intervalA = 0;
  #timerA: TimerHandle | undefined;
  #timerB: TimerHandle | undefined;
  #timerD: TimerHandle | undefined;
  #timerM: TimerHandle | undefined;

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
    // §17.1.1.2: Timer A (T1, doubling) only over unreliable transports; Timer B 64·T1 always.
    if (!this.#reliable) {
      this.#intervalA = timers.T1;
      this.#timerA = clock.set(timers.T1, this.#fireA);
    }
    this.#timerB = clock.set(64 * timers.T1, this.#fireB);
    this.#sendRequest(true);
  }

  receiveResponse(response: SipResponse, remote: Remote): void {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      this.#ctx.logger.debug('ignored a response with a status out of range', { status, branch: this.branch });
      return;
    }
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'calling') {
            // Figure 5: 1xx in Calling → Proceeding; no more retransmissions, no Timer B.
            this.state = 'proceeding';
            this.#clearA();
            this.#clearB();
          }
          this.#notify('onResponse', () => {
            this.#user.onResponse(response, remote);
          });
        } else if (status < 300) {
          this.#enterAccepted(response, remote);
        } else {
          this.#enterCompleted(response, remote);
        }
        return;
      case 'completed':
        // §17.1.1.2: every retransmission of the final response is answered with the same ACK,
        // and not passed up.
        if (status >= 300 && this.#ack !== undefined) this.#sendAck(this.#ack);
        return;
      case 'accepted':
        // RFC 6026 §7.2: every further 2xx (retransmissions, forks) goes to the TU; nothing else.
        if (status >= 200 && status < 300) {
          this.#notify('onResponse', () => {
            this.#user.onResponse(response, remote);
          });
        }
        return;
      case 'trying':
      case 'confirmed':
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    this.#end();
  }

  #enterAccepted(response: SipResponse, remote: Remote): void {
    this.state = 'accepted';
    this.#clearA();
    this.#clearB();
    // RFC 6026 §7.2: Timer M = 64·T1, on every transport; the TU acknowledges 2xx itself.
    this.#timerM = this.#ctx.clock.set(64 * this.#ctx.timers.T1, this.#fireM);
    this.#notify('onResponse', () => {
      this.#user.onResponse(response, remote);
    });
  }

  #enterCompleted(response: SipResponse, remote: Remote): void {
    this.state = 'completed';
    this.#clearA();
    this.#clearB();
    const { clock, timers } = this.#ctx;
    if (!this.#reliable) this.#timerD = clock.set(Math.max(64 * timers.T1, TIMER_D_MIN), this.#fireD);
    let ack: SipRequest | undefined;
    try {
      ack = buildAckForNonSuccess(this.request, response);
    } catch (e) {
      this.#ctx.logger.warn('cannot build the ACK for a non-2xx final response', { error: e, branch: this.branch });
    }
    this.#ack = ack;
    // Figure 5: "300-699 / ACK sent, resp. to TU".
    if (ack !== undefined) this.#sendAck(ack);
    this.#notify('onResponse', () => {
      this.#user.onResponse(response, remote);
    });
    // Timer D is zero over reliable transports: Completed ends at once.
    if (this.#reliable && this.#still('completed')) this.#end();
  }

  readonly #fireA = (): void => {
    this.#timerA = undefined;
    if (this.state !== 'calling') return;
    // §17.1.1.2: retransmit and double A, with no cap for INVITE (Timer B ends it).
    this.#intervalA *= 2;
    this.#timerA = this.#ctx.clock.set(this.#intervalA, this.#fireA);
    this.#sendRequest(false);
  };

  readonly #fireB = (): void => {
    this.#timerB = undefined;
    if (this.state !== 'calling') return;
    this.#notify('onTimeout', () => {
      this.#user.onTimeout();
    });
    this.#end();
  };

  readonly #fireD = (): void => {
    this.#timerD = undefined;
    this.#end();
  };

  readonly #fireM = (): void => {
    this.#timerM = undefined;
    this.#end();
  };

  #sendRequest(first: boolean): void {
    sendRequest(this.#ctx, this.request, this.target, this.#onRequestFailed, first ? this.#onFirstSent : undefined);
  }

  readonly #onRequestFailed = (error: unknown): void => {
    this.#requestFailed(error);
  };

  readonly #onFirstSent = (remote: Remote): void => {
    this.#sentTo = remote;
  };

  /** §17.1.4: a transport error while the INVITE is outstanding informs the TU and ends the transaction. */
  #requestFailed(error: unknown): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') {
      this.#ctx.logger.debug('a send of the INVITE failed after its final response', { error, branch: this.branch });
      return;
    }
    this.#notify('onTransportError', () => {
      this.#user.onTransportError(error);
    });
    this.#end();
  }

  #sendAck(ack: SipRequest): void {
    // §17.1.1.3: to the same address, port and transport as the INVITE (and over its flow).
    const sentTo = this.#sentTo;
    let target = this.target;
    if (sentTo !== undefined && sentTo.flowId !== undefined && target.flowId === undefined) target = { ...target, flowId: sentTo.flowId };
    sendRequest(this.#ctx, ack, target, (e) => {
      this.#ackFailed(e);
    });
  }

  /** RFC 6026 Figure 5: a transport error in Completed informs the TU and ends the transaction. */
  #ackFailed(error: unknown): void {
    if (this.state !== 'completed') return;
    this.#notify('onTransportError', () => {
      this.#user.onTransportError(error);
    });
    this.#end();
  }

  #clearA(): void {
    if (this.#timerA === undefined) return;
    this.#ctx.clock.clear(this.#timerA);
    this.#timerA = undefined;
  }

  #clearB(): void {
    if (this.#timerB === undefined) return;
    this.#ctx.clock.clear(this.#timerB);
    this.#timerB = undefined;
  }

  /** Terminated: every timer cleared, the user told once. */
  #end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    const clock = this.#ctx.clock;
    this.#clearA();
    this.#clearB();
    if (this.#timerD !== undefined) clock.clear(this.#timerD);
    if (this.#timerM !== undefined) clock.clear(this.#timerM);
    this.#timerD = undefined;
    this.#timerM = undefined;
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
 * Creates an INVITE client transaction for `request` (which carries its top Via with a branch),
 * sent to `target` once `start()` is called.
 *
 * Timer A (T1 doubling, no cap) retransmits over unreliable transports only; Timer B (64·T1) ends
 * Calling with `onTimeout`. A 1xx moves to Proceeding (no more retransmissions); a 300–699 to
 * Completed, where the transaction sends the ACK ({@link buildAckForNonSuccess}) and re-sends it for
 * each retransmitted final, for Timer D (max(64·T1, 32 s) unreliable, 0 reliable); a 2xx to
 * Accepted (RFC 6026) for Timer M (64·T1), passing every further 2xx up — the TU acknowledges
 * 2xx itself. A failed send calls `onTransportError` and ends the transaction; `onTerminated`
 * runs once, with every timer already cleared.
 * @throws SipError `invalid-argument` if the request has no top Via branch.
 * @example
 * const ct = createInviteClientTransaction(invite, target, { context, reliable: false }, user);
 * ct.start();
 * @see RFC 3261 §17.1.1, Figure 5; RFC 6026 §7.2, Figure 5
 */
export function createInviteClientTransaction(request: SipRequest, target: Target, options: TransactionOptions, user: ClientTransactionUser): ClientTransaction {
  return new InviteClientTransaction(request, target, options, user);
}
