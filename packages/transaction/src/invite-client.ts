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
import { TransactionBase, type TimerSlot } from './transaction-base.js';
import type { ClientTransaction, ClientTransactionUser, TransactionOptions } from './types.js';

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

/** The states of Figure 5 as RFC 6026 updates it (Terminated is common to every machine). */
export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted';

/** Slot 0: Timer A (Calling), Timer D (Completed), Timer M (Accepted). */
const MAIN = 0;
/** Slot 1: Timer B (Calling). */
const TIMER_B = 1;

class InviteClientTransaction extends TransactionBase<InviteClientState> implements ClientTransaction {
  readonly kind = 'invite-client';
  protected readonly who = 'client transaction';
  declare protected readonly user: ClientTransactionUser;
  readonly branch: string;
  #started = false;
  /** Where the INVITE went (flow included): the ACK must go to the same place (§17.1.1.3). */
  #sentTo: Remote | undefined;
  #ack: SipRequest | undefined;
  #intervalA = 0;

  constructor(
    readonly request: SipRequest,
    readonly target: Target,
    options: TransactionOptions,
    user: ClientTransactionUser,
  ) {
    super('calling', options, user);
    this.branch = requireBranch(request);
  }

  protected override logAttrs(): Record<string, unknown> {
    return { branch: this.branch };
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { timers } = this.ctx;
    // §17.1.1.2: Timer A (T1, doubling) only over unreliable transports; Timer B 64·T1 always.
    if (!this.reliable) {
      this.#intervalA = timers.T1;
      this.startTimer(MAIN, timers.T1);
    }
    this.startTimer(TIMER_B, 64 * timers.T1);
    this.sendRequest(this.request, this.target);
  }

  protected override requestSent(remote: Remote): void {
    this.#sentTo = remote;
  }

  receiveResponse(response: SipResponse, remote: Remote): void {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      this.ctx.logger.debug('ignored a response with a status out of range', { status, branch: this.branch });
      return;
    }
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'calling') {
            // Figure 5: 1xx in Calling → Proceeding; no more retransmissions, no Timer B.
            this.state = 'proceeding';
            this.stopTimer(MAIN);
            this.stopTimer(TIMER_B);
          }
          this.#deliver(response, remote);
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
        if (status >= 200 && status < 300) this.#deliver(response, remote);
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

  #enterAccepted(response: SipResponse, remote: Remote): void {
    this.state = 'accepted';
    this.stopTimer(MAIN);
    this.stopTimer(TIMER_B);
    this.#deliver(response, remote);
    if (!this.still('accepted')) return;
    // RFC 6026 §7.2: Timer M = 64·T1, on every transport; the TU acknowledges 2xx itself. A user
    // that takes the hand-off keeps the state (the layer's compact table): this object is done.
    const ms = 64 * this.ctx.timers.T1;
    if (this.user.onWaiting?.({ what: 'accepted', ms }) !== true) this.startTimer(MAIN, ms);
  }

  #enterCompleted(response: SipResponse, remote: Remote): void {
    this.state = 'completed';
    this.stopTimer(MAIN);
    this.stopTimer(TIMER_B);
    const { timers } = this.ctx;
    if (!this.reliable) this.startTimer(MAIN, Math.max(64 * timers.T1, TIMER_D_MIN));
    let ack: SipRequest | undefined;
    try {
      ack = buildAckForNonSuccess(this.request, response);
    } catch (e) {
      this.ctx.logger.warn('cannot build the ACK for a non-2xx final response', { error: e, branch: this.branch });
    }
    this.#ack = ack;
    // Figure 5: "300-699 / ACK sent, resp. to TU".
    if (ack !== undefined) this.#sendAck(ack);
    this.#deliver(response, remote);
    // Timer D is zero over reliable transports: Completed ends at once.
    if (this.reliable && this.still('completed')) this.end();
  }

  protected onTimer(slot: TimerSlot): void {
    switch (this.state) {
      case 'calling':
        if (slot === MAIN) this.#fireA();
        else this.#fireB();
        return;
      case 'completed': // Timer D
      case 'accepted': // Timer M
        this.end();
        return;
      case 'proceeding':
      case 'terminated':
        return;
    }
  }

  #fireA(): void {
    // §17.1.1.2: retransmit and double A, with no cap for INVITE (Timer B ends it).
    this.#intervalA *= 2;
    this.startTimer(MAIN, this.#intervalA);
    this.sendRequest(this.request, this.target);
  }

  #fireB(): void {
    this.notify('onTimeout', () => { this.user.onTimeout(); });
    this.end();
  }

  /** §17.1.4: a transport error while the INVITE is outstanding informs the TU and ends the transaction. */
  protected onSendFailed(error: unknown): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') {
      this.ctx.logger.debug('a send of the INVITE failed after its final response', { error, branch: this.branch });
      return;
    }
    this.notify('onTransportError', () => { this.user.onTransportError(error); });
    this.end();
  }

  #sendAck(ack: SipRequest): void {
    // §17.1.1.3: to the same address, port and transport as the INVITE (and over its flow).
    const sentTo = this.#sentTo;
    let target = this.target;
    if (sentTo !== undefined && sentTo.flowId !== undefined && target.flowId === undefined) target = { ...target, flowId: sentTo.flowId };
    this.sendRequest(ack, target, (this.#ackFailed ??= (error: unknown) => { this.#onAckFailed(error); }));
  }

  /** The ACK's error callback, made at the first ACK (a 2xx is ACKed by the TU, not here). */
  #ackFailed: ((error: unknown) => void) | undefined = undefined;

  /** RFC 6026 Figure 5: a transport error in Completed informs the TU and ends the transaction. */
  #onAckFailed(error: unknown): void {
    if (this.state !== 'completed') return;
    this.notify('onTransportError', () => { this.user.onTransportError(error); });
    this.end();
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
