/**
 * What the four state machines of RFC 3261 §17 share, and nothing else: the state, two timer slots
 * (no machine runs more than two timers at once), Terminated (every timer cleared, the user told
 * once), the guard around the user's callbacks, and the sends. Each machine keeps its own file,
 * figure, state type and transitions; a timer slot means what the machine's current state says
 * (Figure 7: slot 0 is the 100 Trying delay in Proceeding, Timer G in Completed, I in Confirmed…).
 *
 * Every message a machine puts on the wire leaves through {@link TransactionBase.sendResponse},
 * {@link TransactionBase.resendBytes} or {@link TransactionBase.sendRequest}: the port contract is
 * adapted here and only here.
 * @see RFC 3261 §17.1.4, §17.2.4 (transport errors), Table 4
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { asSendError, safely, SendWatch, type PreparedResponse, type Remote, type SendListener, type Target, type TransportPort } from '@sipts/transport';
import { setCallOn, type TimerHandle, type TimerTarget } from './clock.js';
import type { TransactionContext, TransactionOptions } from './types.js';

/** A timer slot of a machine: which timer it is depends on the state. */
export type TimerSlot = 0 | 1;

/** The user callbacks every machine has in common. */
interface BaseUser {
  onTerminated?(): void;
}

/**
 * The state machine skeleton. `S` is the machine's own state type; `terminated` is common to all.
 * Subclasses implement {@link TransactionBase.onTimer} (a slot fired) and
 * {@link TransactionBase.onSendFailed} (their §17.1.4/§17.2.4 rule), and call {@link TransactionBase.end}.
 */
export abstract class TransactionBase<S extends string> implements SendListener, TimerTarget {
  /** The state: the machine's own states, then `terminated`. */
  state: S | 'terminated';
  protected readonly ctx: TransactionContext;
  protected readonly reliable: boolean;
  protected readonly user: BaseUser;
  #timer0: TimerHandle | undefined = undefined;
  #timer1: TimerHandle | undefined = undefined;
  #failed: ((error: unknown) => void) | undefined = undefined;

  protected constructor(initial: S, options: TransactionOptions, user: BaseUser) {
    this.state = initial;
    this.ctx = options.context;
    this.reliable = options.reliable;
    this.user = user;
  }

  /** Names this transaction in log lines ("server transaction", "client transaction"). */
  protected abstract readonly who: string;
  /** Attributes added to log lines about this transaction. */
  protected logAttrs(): Record<string, unknown> | undefined {
    return undefined;
  }
  /** Slot `slot` fired (its handle is already cleared). */
  protected abstract onTimer(slot: TimerSlot): void;
  /** A send failed (§17.1.4, §17.2.4); not called once Terminated. */
  protected abstract onSendFailed(error: unknown): void;

  /** True if the transaction is still in `state` (a TU callback or a failed send may have moved it). */
  protected still(state: S): boolean {
    return this.state === state;
  }

  /**
   * Arms slot `slot` to fire in `ms` (clearing what it held). The clock calls {@link onClock}: no
   * closure per transaction on a clock with `setCall`.
   */
  protected startTimer(slot: TimerSlot, ms: number): void {
    const clock = this.ctx.clock;
    const held = slot === 0 ? this.#timer0 : this.#timer1;
    if (held !== undefined) clock.clear(held);
    const handle = setCallOn(clock, ms, this, slot);
    if (slot === 0) this.#timer0 = handle;
    else this.#timer1 = handle;
  }

  /** @internal The clock's call for a timer set with `setCall` (see {@link startTimer}). */
  onClock(slot: number): void {
    this.#fire(slot === 0 ? 0 : 1);
  }

  /** Clears slot `slot` (nothing if it is idle). */
  protected stopTimer(slot: TimerSlot): void {
    const handle = slot === 0 ? this.#timer0 : this.#timer1;
    if (handle === undefined) return;
    this.ctx.clock.clear(handle);
    if (slot === 0) this.#timer0 = undefined;
    else this.#timer1 = undefined;
  }

  /** True while slot `slot` is armed. */
  protected timerRunning(slot: TimerSlot): boolean {
    return (slot === 0 ? this.#timer0 : this.#timer1) !== undefined;
  }

  #fire(slot: TimerSlot): void {
    if (slot === 0) this.#timer0 = undefined;
    else this.#timer1 = undefined;
    if (this.state === 'terminated') return;
    this.onTimer(slot);
  }

  /** Terminated: both slots cleared, `onTerminated` called once. */
  protected end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.stopTimer(0);
    this.stopTimer(1);
    const user = this.user;
    if (user.onTerminated === undefined) return;
    this.notify('onTerminated', () => {
      user.onTerminated?.();
    });
  }

  /** Calls a user callback: a throw is logged (with this transaction's attributes) and never breaks the state machine. */
  protected notify(what: string, fn: () => void): void {
    safely(this.ctx.logger, () => ({ what: `the ${this.who} user's ${what}`, attrs: this.logAttrs() }), fn);
  }

  /**
   * @internal The transport's listener of this transaction's own sends (a request, its
   * retransmissions, a response of the machine's): a send failed, now or later (§17.1.4, §17.2.4).
   * The transaction is its own listener, so such a send allocates no watcher and no callback.
   */
  onSendError(error: SipError): void {
    this.#sendFailed(error);
  }

  /** @internal The transport's listener: a message of this transaction went out, and where (see {@link requestSent}). */
  onSent(remote: Remote): void {
    this.requestSent(remote);
  }

  /** Where a request (or retransmission) of this transaction went: the INVITE client keeps it for its ACK (§17.1.1.3). */
  protected requestSent(_remote: Remote): void {
    // Most machines do not need it.
  }

  /** The one failure callback of this transaction for a send the TU awaits (made once, not per send). */
  protected get failed(): (error: unknown) => void {
    return (this.#failed ??= (error: unknown) => {
      this.#sendFailed(error);
    });
  }

  #sendFailed(error: unknown): void {
    if (this.state === 'terminated') {
      this.ctx.logger.debug(`a send failed after the ${this.who} ended`, { error, ...this.logAttrs() });
      return;
    }
    this.onSendFailed(error);
  }

  /**
   * Sends a response of the machine's own (100 Trying, a retransmission) to `remote`; a failure
   * reaches {@link onSendFailed}. With `keep`, returns the prepared response (its bytes and where
   * they go) for the machine to resend ({@link resendBytes}) instead of keeping the response object.
   */
  protected sendResponse(response: SipResponse, remote: Remote, keep: boolean): PreparedResponse | undefined {
    const prepared = prepare(this.ctx.transport, response, remote);
    if (prepared instanceof SipError) {
      this.#sendFailed(prepared);
      return undefined;
    }
    this.#sendPrepared(prepared);
    return keep ? prepared : undefined;
  }

  /**
   * {@link sendResponse} for a response the TU asked for: `sent` rejects on a transport error,
   * which also reaches {@link onSendFailed} (the transaction reports it and ends, §17.2.4), so the
   * rejection is marked handled: a TU that does not await `respond()` gets no unhandled rejection.
   * A send that went out at once shares one resolved Promise.
   */
  protected sendResponseAwaited(response: SipResponse, remote: Remote, keep: boolean): { bytes: PreparedResponse | undefined; sent: Promise<void> } {
    const prepared = prepare(this.ctx.transport, response, remote);
    if (prepared instanceof SipError) {
      this.#sendFailed(prepared);
      return { bytes: undefined, sent: rejectedQuietly(prepared) };
    }
    const listener = new SendWatch(this.failed, undefined);
    const outcome = this.ctx.transport.sendResponse(prepared, listener);
    const bytes = keep ? prepared : undefined;
    if (outcome === 'sent') return { bytes, sent: RESOLVED };
    if (outcome === 'pending') {
      const sent = listener.promise();
      sent.catch(ignore);
      return { bytes, sent };
    }
    this.#sendFailed(outcome);
    return { bytes, sent: rejectedQuietly(outcome) };
  }

  /** Re-sends a response prepared before by {@link sendResponse} (a retransmission, §17.2.2): the same bytes. */
  protected resendBytes(prepared: PreparedResponse): void {
    this.#sendPrepared(prepared);
  }

  #sendPrepared(prepared: PreparedResponse): void {
    const outcome = this.ctx.transport.sendResponse(prepared, this);
    if (outcome instanceof SipError) this.#sendFailed(outcome);
  }

  /**
   * Sends a request to `target` (the request of a client transaction, or its ACK); a failure
   * reaches `onError` (default {@link onSendFailed}), now or later (§17.1.4). Without `onError`
   * the transaction is the send's listener, and {@link requestSent} learns where it went.
   */
  protected sendRequest(request: SipRequest, target: Target, onError?: (error: unknown) => void): void {
    if (onError === undefined) {
      const outcome = this.ctx.transport.sendRequest(request, target, this);
      if (outcome instanceof SipError) this.#sendFailed(outcome);
      return;
    }
    const outcome = this.ctx.transport.sendRequest(request, target, new SendWatch(onError, undefined));
    if (outcome instanceof SipError) onError(outcome);
  }
}

/**
 * A rejected Promise marked as handled: whoever awaits it still gets the error, but one nobody
 * awaits does not become an unhandled rejection (which ends a Node process by default). The
 * failure is reported through the transaction already (`onTransportError`, Terminated, a log line).
 */
function rejectedQuietly(error: SipError): Promise<void> {
  const p = Promise.reject(error);
  p.catch(ignore);
  return p;
}

function ignore(): void {
  // Observed through the transaction, not this Promise.
}

/** Serializes and routes a response once (RFC 3261 §18.2.2), or the SipError that prevents it (no Via). */
function prepare(port: TransportPort, response: SipResponse, remote: Remote | undefined): PreparedResponse | SipError {
  try {
    return port.prepareResponse(response, remote);
  } catch (e) {
    return asSendError(e, `cannot send a ${String(response.status)} response`);
  }
}

/**
 * Sends a prepared response again, the same bytes to the same place (§17.2.2 retransmissions, from
 * a machine or from the layer's table of waiting transactions); `onError` on a transport error.
 */
export function resendResponseBytes(port: TransportPort, prepared: PreparedResponse, onError: (error: SipError) => void): void {
  const outcome = port.sendResponse(prepared, new SendWatch(onError, undefined));
  if (outcome instanceof SipError) onError(outcome);
}

const RESOLVED: Promise<void> = Promise.resolve();

