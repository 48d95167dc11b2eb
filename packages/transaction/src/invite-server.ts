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
import type { Remote } from '@sipts/transport';
import type { TimerHandle } from './clock.js';
import { notifyUser, sendFromTu, sendOwn } from './user-calls.js';
import type { ServerTransaction, ServerTransactionUser, TransactionContext, TransactionOptions, TransactionState } from './types.js';

/** RFC 3261 §17.2.1: 100 Trying unless the TU answers within 200 ms. */
const TRYING_DELAY = 200;

/** Options of {@link createInviteServerTransaction}. */
export type InviteServerOptions = TransactionOptions & {
  /** Send 100 Trying if the TU has not answered within 200 ms (RFC 3261 §17.2.1). Default true. */
  trying100?: boolean;
};

class InviteServerTransaction implements ServerTransaction {
  readonly kind = 'invite-server';
  state: TransactionState = 'proceeding';
  readonly #ctx: TransactionContext;
  readonly #reliable: boolean;
  readonly #user: ServerTransactionUser;
  /** The most recent provisional response sent (the 100 Trying or one from the TU). */
  #provisional: SipResponse | undefined;
  /** The non-2xx final response, retransmitted by Timer G and on INVITE retransmissions. */
  #final: SipResponse | undefined;
  #intervalG = 0;
  #timerTrying: TimerHandle | undefined;
  #timerG: TimerHandle | undefined;
  #timerH: TimerHandle | undefined;
  #timerI: TimerHandle | undefined;
  #timerL: TimerHandle | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    options: InviteServerOptions,
    user: ServerTransactionUser,
  ) {
    this.#ctx = options.context;
    this.#reliable = options.reliable;
    this.#user = user;
    if (options.trying100 !== false) this.#timerTrying = this.#ctx.clock.set(TRYING_DELAY, this.#fireTrying);
  }

  respond(response: SipResponse): Promise<void> {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      return Promise.reject(new SipError('invalid-argument', `cannot send a response with status ${String(status)}`));
    }
    const { clock, timers } = this.#ctx;
    switch (this.state) {
      case 'proceeding':
        this.#clearTrying();
        if (status < 200) {
          // Figure 7: "101-199 from TU / send response"; remembered for INVITE retransmissions.
          this.#provisional = response;
          return this.#sendFromTu(response);
        }
        if (status < 300) {
          // RFC 6026 §7.1: 2xx → Accepted for Timer L; the TU retransmits the 2xx itself.
          this.state = 'accepted';
          this.#timerL = clock.set(64 * timers.T1, this.#fireL);
          return this.#sendFromTu(response);
        }
        // 300-699 → Completed: Timer G (T1 doubling up to T2) over unreliable transports, H 64·T1.
        this.state = 'completed';
        this.#final = response;
        if (!this.#reliable) {
          this.#intervalG = timers.T1;
          this.#timerG = clock.set(timers.T1, this.#fireG);
        }
        this.#timerH = clock.set(64 * timers.T1, this.#fireH);
        return this.#sendFromTu(response);
      case 'accepted':
        // RFC 6026 Figure 7: "2xx from TU / send response" (the TU's 2xx retransmissions).
        if (status >= 200 && status < 300) return this.#sendFromTu(response);
        return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)} after a 2xx (RFC 6026 §7.1)`));
      case 'completed':
      case 'confirmed':
      case 'terminated':
      case 'calling':
      case 'trying':
        return Promise.reject(new SipError('invalid-state', `cannot send a ${String(status)}: the INVITE server transaction is ${this.state}`));
    }
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
        if (this.#provisional !== undefined) this.#send(this.#provisional);
        return;
      case 'completed':
        // §17.2.1: and in Completed, the final response again.
        if (this.#final !== undefined) this.#send(this.#final);
        return;
      case 'accepted':
        // RFC 6026 §7.1: absorbed (not passed to the TU, no response from the transaction).
        return;
      case 'confirmed':
      case 'terminated':
      case 'calling':
      case 'trying':
        return;
    }
  }

  terminate(): void {
    this.#end();
  }

  #receiveAck(): void {
    switch (this.state) {
      case 'completed':
        // §17.2.1: ACK → Confirmed; stop G and H; Timer I (T4 unreliable, 0 reliable) absorbs ACKs.
        this.state = 'confirmed';
        this.#clearG();
        this.#clearH();
        if (this.#reliable) {
          this.#end();
          return;
        }
        this.#timerI = this.#ctx.clock.set(this.#ctx.timers.T4, this.#fireI);
        return;
      case 'confirmed':
        return;
      case 'accepted':
        // RFC 6026 §7.1 gives an ACK matching in Accepted to the TU: the transaction layer does
        // that before the ACK reaches here (an ACK for a 2xx is its own transaction), so here it
        // is absorbed.
        return;
      case 'proceeding':
      case 'terminated':
      case 'calling':
      case 'trying':
        return;
    }
  }

  readonly #fireTrying = (): void => {
    this.#timerTrying = undefined;
    if (this.state !== 'proceeding' || this.#provisional !== undefined) return;
    // §8.2.6.1: 100 Trying copies the Timestamp; it needs no To tag.
    const timestamp = this.request.headers.timestamp;
    const trying = makeResponse(this.request, 100, 'Trying', timestamp === undefined ? undefined : { headers: { timestamp } });
    this.#provisional = trying;
    this.#send(trying);
  };

  readonly #fireG = (): void => {
    this.#timerG = undefined;
    if (this.state !== 'completed' || this.#final === undefined) return;
    // §17.2.1: MIN(2·interval, T2).
    this.#intervalG = Math.min(2 * this.#intervalG, this.#ctx.timers.T2);
    this.#timerG = this.#ctx.clock.set(this.#intervalG, this.#fireG);
    this.#send(this.#final);
  };

  readonly #fireH = (): void => {
    this.#timerH = undefined;
    if (this.state !== 'completed') return;
    // §17.2.1: the ACK never came: tell the TU.
    if (this.#user.onTimeout !== undefined) {
      this.#notify('onTimeout', () => {
        this.#user.onTimeout?.();
      });
    }
    this.#end();
  };

  readonly #fireI = (): void => {
    this.#timerI = undefined;
    this.#end();
  };

  readonly #fireL = (): void => {
    this.#timerL = undefined;
    this.#end();
  };

  /** A send the TU asked for: its promise rejects when the transport fails. */
  #sendFromTu(response: SipResponse): Promise<void> {
    return sendFromTu(this.#ctx, response, this.remote, this.#onSendFailed);
  }

  /** A send of the transaction's own (100 Trying, retransmissions). */
  #send(response: SipResponse): void {
    sendOwn(this.#ctx, response, this.remote, this.#onSendFailed);
  }

  readonly #onSendFailed = (error: unknown): void => {
    this.#failed(error);
  };


  /**
   * §17.2.4: a transport error informs the TU and ends the transaction; in Accepted (RFC 6026
   * Figure 7) it informs the TU and the transaction stays, absorbing INVITE retransmissions until
   * Timer L. After Terminated the TU learns of a failed send from `respond`'s rejection only.
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
    if (this.state !== 'accepted') this.#end();
  }

  #clearTrying(): void {
    if (this.#timerTrying === undefined) return;
    this.#ctx.clock.clear(this.#timerTrying);
    this.#timerTrying = undefined;
  }

  #clearG(): void {
    if (this.#timerG === undefined) return;
    this.#ctx.clock.clear(this.#timerG);
    this.#timerG = undefined;
  }

  #clearH(): void {
    if (this.#timerH === undefined) return;
    this.#ctx.clock.clear(this.#timerH);
    this.#timerH = undefined;
  }

  /** Terminated: every timer cleared, the user told once. */
  #end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    const clock = this.#ctx.clock;
    this.#clearTrying();
    this.#clearG();
    this.#clearH();
    if (this.#timerI !== undefined) clock.clear(this.#timerI);
    if (this.#timerL !== undefined) clock.clear(this.#timerL);
    this.#timerI = undefined;
    this.#timerL = undefined;
    if (this.#user.onTerminated !== undefined) {
      this.#notify('onTerminated', () => {
        this.#user.onTerminated?.();
      });
    }
  }

  /** The TU's callbacks never break the state machine: a throw is logged. */
  #notify(what: string, fn: () => void): void {
    notifyUser(this.#ctx.logger, 'server transaction', what, fn);
  }
}

/**
 * Creates the INVITE server transaction for a received INVITE, in Proceeding (the caller passes
 * the INVITE to the TU). It sends 100 Trying after 200 ms unless the TU has answered (`trying100:
 * false` disables it) and re-sends the last provisional response for each retransmitted INVITE.
 * A 300–699 from the TU moves to Completed: Timer G (T1 doubling up to T2, unreliable only)
 * retransmits it until the ACK, which moves to Confirmed for Timer I (T4 unreliable, 0 reliable);
 * Timer H (64·T1) without an ACK calls `onTimeout`. A 2xx moves to Accepted (RFC 6026) for
 * Timer L (64·T1): retransmitted INVITEs and ACKs are absorbed, further 2xx from the TU are sent.
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
