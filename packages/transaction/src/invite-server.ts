/**
 * INVITE server transaction: RFC 3261 §17.2.1, Figure 7 ("INVITE server transaction"), as
 * updated by RFC 6026 §7.1 and its Figure 7 (the Accepted state and Timer L).
 * https://www.rfc-editor.org/rfc/rfc6026#section-7.1 — https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1
 *
 * ```
 * Proceeding ──300-699 from TU──▶ Completed ──ACK──▶ Confirmed ──Timer I──▶ Terminated
 *     │                              └──Timer H (onTimeout)──▶ Terminated
 *     └──2xx from TU──▶ Accepted ──Timer L──▶ Terminated
 * ```
 * @see RFC 3261 §17.2.1, §17.2.4 (transport errors), §8.2.6.1 (100 Trying), Table 4; RFC 6026 §7.1
 */
import { makeResponse, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import type { PreparedResponse, Remote } from '@sipts/transport';
import { TransactionBase, type TimerSlot } from './transaction-base.js';
import type { ServerTransaction, ServerTransactionUser, TransactionOptions } from './types.js';

/** RFC 3261 §17.2.1: 100 Trying unless the TU answers within 200 ms. */
const TRYING_DELAY = 200;

/** The states of Figure 7 as RFC 6026 updates it (Terminated is common to every machine). */
export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted';

/** Slot 0: the 100 Trying delay (Proceeding), Timer G (Completed), I (Confirmed), L (Accepted). */
const MAIN = 0;
/** Slot 1: Timer H (Completed). */
const TIMER_H = 1;

/** Options of {@link createInviteServerTransaction}. */
export type InviteServerOptions = TransactionOptions & {
  /** Send 100 Trying if the TU has not answered within 200 ms (RFC 3261 §17.2.1). Default true. */
  trying100?: boolean;
};

class InviteServerTransaction extends TransactionBase<InviteServerState> implements ServerTransaction {
  readonly kind = 'invite-server';
  protected readonly who = 'server transaction';
  declare protected readonly user: ServerTransactionUser;
  /** The most recent provisional response sent (the 100 Trying or one from the TU), serialized. */
  #provisional: PreparedResponse | undefined;
  /** True once any provisional went out (the 100 Trying is then not needed). */
  #provisionalSent = false;
  /** The non-2xx final response as sent, retransmitted by Timer G and on INVITE retransmissions. */
  #final: PreparedResponse | undefined;
  #intervalG = 0;
  /** Whether a 100 Trying is sent for a TU slow to answer (the option of the same name). */
  readonly #trying100: boolean;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    options: InviteServerOptions,
    user: ServerTransactionUser,
  ) {
    super('proceeding', options, user);
    this.#trying100 = options.trying100 !== false;
    if (options.startLater !== true) this.begin();
  }

  /** §17.2.1: the 100 Trying goes out if the TU has sent no response within 200 ms of this call. */
  begin(): void {
    if (this.#trying100 && this.state === 'proceeding' && !this.#provisionalSent && !this.timerRunning(MAIN)) this.startTimer(MAIN, TRYING_DELAY);
  }

  respond(response: SipResponse): Promise<void> {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      return Promise.reject(new SipError('invalid-argument', `cannot send a response with status ${String(status)}`));
    }
    switch (this.state) {
      case 'proceeding':
        return this.#respondProceeding(response, status);
      case 'accepted':
        // RFC 6026 Figure 7: "2xx from TU / send response" (the TU's 2xx retransmissions).
        if (status >= 200 && status < 300) return this.sendResponseAwaited(response, this.remote, false).sent;
        return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)} after a 2xx (RFC 6026 §7.1)`));
      case 'completed':
      case 'confirmed':
      case 'terminated':
        return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)}: the INVITE server transaction is ${this.state}`));
    }
  }

  #respondProceeding(response: SipResponse, status: number): Promise<void> {
    const { timers } = this.ctx;
    this.stopTimer(MAIN); // the 100 Trying delay
    if (status < 200) {
      // Figure 7: "101-199 from TU / send response"; kept for INVITE retransmissions.
      this.#provisionalSent = true;
      const { bytes, sent } = this.sendResponseAwaited(response, this.remote, !this.reliable);
      this.#provisional = bytes;
      return sent;
    }
    this.#provisional = undefined;
    if (status < 300) {
      // RFC 6026 §7.1: 2xx → Accepted for Timer L; the TU retransmits the 2xx itself.
      this.state = 'accepted';
      const { sent } = this.sendResponseAwaited(response, this.remote, false);
      if (this.still('accepted') && this.user.onWaiting?.({ what: 'accepted', remote: this.remote, bytes: undefined, ms: 64 * timers.T1 }) !== true) {
        this.startTimer(MAIN, 64 * timers.T1);
      }
      return sent;
    }
    // 300-699 → Completed: Timer G (T1 doubling up to T2) over unreliable transports, H 64·T1.
    this.state = 'completed';
    if (!this.reliable) {
      this.#intervalG = timers.T1;
      this.startTimer(MAIN, timers.T1);
    }
    this.startTimer(TIMER_H, 64 * timers.T1);
    const { bytes, sent } = this.sendResponseAwaited(response, this.remote, !this.reliable);
    this.#final = bytes;
    return sent;
  }

  receiveRequest(request: SipRequest, _remote: Remote): void {
    if (request.method === 'ACK') {
      this.#receiveAck();
      return;
    }
    if (request.method !== 'INVITE') return;
    switch (this.state) {
      case 'proceeding':
        // §17.2.1: a retransmitted INVITE gets the most recent provisional response again.
        if (this.#provisional !== undefined) this.resendBytes(this.#provisional);
        return;
      case 'completed':
        // §17.2.1: and in Completed, the final response again.
        if (this.#final !== undefined) this.resendBytes(this.#final);
        return;
      case 'accepted':
        // RFC 6026 §7.1: absorbed (not passed to the TU, no response from the transaction).
        return;
      case 'confirmed':
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    this.end();
  }

  #receiveAck(): void {
    // Confirmed absorbs further ACKs. In Accepted, RFC 6026 §7.1 gives a matching ACK to the TU:
    // the transaction layer does that before the ACK reaches here (an ACK for a 2xx is its own
    // transaction), so here it is absorbed.
    if (this.state !== 'completed') return;
    // §17.2.1: ACK → Confirmed; stop G and H; Timer I (T4 unreliable, 0 reliable) absorbs ACKs.
    this.state = 'confirmed';
    this.stopTimer(MAIN);
    this.stopTimer(TIMER_H);
    this.#final = undefined;
    if (this.reliable) {
      this.end();
      return;
    }
    const ms = this.ctx.timers.T4;
    if (this.user.onWaiting?.({ what: 'confirmed', remote: this.remote, bytes: undefined, ms }) !== true) this.startTimer(MAIN, ms);
  }

  protected onTimer(slot: TimerSlot): void {
    switch (this.state) {
      case 'proceeding':
        this.#fireTrying();
        return;
      case 'completed':
        if (slot === MAIN) this.#fireG();
        else this.#fireH();
        return;
      case 'confirmed': // Timer I
      case 'accepted': // Timer L
        this.end();
        return;
      case 'terminated':
        return;
    }
  }

  #fireTrying(): void {
    if (this.#provisionalSent) return;
    // §8.2.6.1: 100 Trying copies the Timestamp; it needs no To tag.
    const timestamp = this.request.headers.timestamp;
    const trying = makeResponse(this.request, 100, 'Trying', timestamp === undefined ? undefined : { headers: { timestamp } });
    this.#provisionalSent = true;
    this.#provisional = this.sendResponse(trying, this.remote, !this.reliable);
  }

  #fireG(): void {
    if (this.#final === undefined) return;
    // §17.2.1: MIN(2·interval, T2).
    this.#intervalG = Math.min(2 * this.#intervalG, this.ctx.timers.T2);
    this.startTimer(MAIN, this.#intervalG);
    this.resendBytes(this.#final);
  }

  #fireH(): void {
    // §17.2.1: the ACK never came: tell the TU.
    if (this.user.onTimeout !== undefined) this.notify('onTimeout', () => this.user.onTimeout?.());
    this.end();
  }

  /**
   * §17.2.4: a transport error informs the TU and ends the transaction; in Accepted (RFC 6026
   * Figure 7) it informs the TU and the transaction stays, absorbing INVITE retransmissions until
   * Timer L. After Terminated the TU learns of a failed send from `respond`'s rejection only.
   */
  protected onSendFailed(error: unknown): void {
    if (this.user.onTransportError !== undefined) this.notify('onTransportError', () => this.user.onTransportError?.(error));
    if (this.state !== 'accepted') this.end();
  }
}

/**
 * Creates the INVITE server transaction for a received INVITE, in Proceeding (the caller passes
 * the INVITE to the TU). It sends 100 Trying after 200 ms unless the TU has answered (`trying100:
 * false` disables it) and re-sends the last provisional response for each retransmitted INVITE.
 * A 300–699 from the TU moves to Completed: Timer G (T1 doubling up to T2, unreliable only)
 * retransmits it, from the bytes first sent, until the ACK, which moves to Confirmed for Timer I
 * (T4 unreliable, 0 reliable); Timer H (64·T1) without an ACK calls `onTimeout`. A 2xx moves to
 * Accepted (RFC 6026) for Timer L (64·T1): retransmitted INVITEs and ACKs are absorbed, further
 * 2xx from the TU are sent. Confirmed and Accepted are kept by the user instead when its
 * `onWaiting` takes them (the transaction layer's table of waiting transactions).
 * @throws nothing; `respond` rejects with SipError `invalid-state` when the state allows no such
 *   response, and with the transport's error when the send fails.
 * @example
 * const st = createInviteServerTransaction(invite, remote, { context, reliable: false }, user);
 * await st.respond(makeResponse(invite, 486, undefined, { toTag }));
 * @see RFC 3261 §17.2.1, Figure 7; RFC 6026 §7.1, Figure 7
 */
export function createInviteServerTransaction(request: SipRequest, remote: Remote, options: InviteServerOptions, user: ServerTransactionUser): ServerTransaction {
  return new InviteServerTransaction(request, remote, options, user);
}
