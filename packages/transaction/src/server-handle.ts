/**
 * The server transaction as the transaction layer hands it to its user: the state machine, plus
 * what the layer learns on its behalf (a CANCEL arrived, the To tag the user answered with).
 * @see RFC 3261 §17.2, §9.2
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import type { Logger, Remote } from '@sipts/transport';
import { toTag as toTagOf } from './matching.js';
import type { ServerTransaction, ServerTransactionUser, TransactionState } from './types.js';
import type { WaitingHandOff } from './waiting.js';

/**
 * A server transaction given to the transaction layer's `onServerTransaction`. Answer through `respond`.
 *
 * CANCEL (RFC 3261 §9.2): when a CANCEL matches this INVITE transaction, the layer answers the
 * CANCEL 200, sends 487 Request Terminated to the INVITE if no final response was sent yet
 * (unless the layer's `cancel487` option is false: then the user must), sets `cancelled` and
 * calls `onCancel`. What the user sends afterwards to the CANCEL, or to the INVITE the layer
 * answered 487, is absorbed (see `answeredByLayer`), also after the transaction ended.
 * @example layer: onServerTransaction(rq, st) { st.onCancel = () => stopRinging(); void st.respond(makeResponse(rq, 180)) }
 * @see RFC 3261 §9.2, §17.2
 */
export interface ServerTransactionHandle extends ServerTransaction {
  /** True once a CANCEL matched this transaction. */
  readonly cancelled: boolean;
  /** Called once when a CANCEL matches this transaction (after the layer's 200 and 487). */
  onCancel: ((cancel: SipRequest, remote: Remote) => void) | undefined;
  /** True once a final response (≥ 200) went through `respond`. */
  readonly finalSent: boolean;
  /** The first To tag the user answered with (a 487 the layer sends reuses it). */
  readonly toTag: string | undefined;
  /**
   * True when the layer answered this request itself (a CANCEL's 200, the 487 of a cancelled
   * INVITE): a response the user sends afterwards is absorbed (not sent, counted in
   * `absorbedResponses`), so the peer gets one answer whoever sends it.
   */
  readonly answeredByLayer: boolean;
}

/** What a handle tells its layer. */
export interface ServerHandleOwner {
  readonly logger: Logger;
  /** The transaction ended: take it out of the tables. */
  forget(handle: ServerHandle): void;
  /** The user answered a request the layer had answered: the response is not sent. */
  absorb(handle: ServerHandle, response: SipResponse): void;
  /** The transaction only waits now: true if the layer keeps it compact (its table of waiting transactions). */
  wait(handle: ServerHandle, handOff: WaitingHandOff): boolean;
}

/**
 * The layer's implementation of {@link ServerTransactionHandle}, around a state machine. It is
 * also the state machine's user (one object per transaction, no closures).
 */
export class ServerHandle implements ServerTransactionHandle, ServerTransactionUser {
  onCancel: ((cancel: SipRequest, remote: Remote) => void) | undefined = undefined;
  cancelled = false;
  finalSent = false;
  toTag: string | undefined = undefined;
  answeredByLayer = false;
  /** @internal True while the layer's table of live server transactions holds this handle. */
  live = true;
  /** Set by the layer right after the state machine is created. */
  inner!: ServerTransaction;

  /** `key`, its `hash` and `merge`: the layer's table keys, to forget this transaction when it ends. */
  constructor(
    readonly owner: ServerHandleOwner,
    readonly key: string,
    readonly hash: number,
    readonly merge: number | undefined,
  ) {}

  /** @internal State machine user: Terminated. */
  onTerminated(): void {
    this.owner.forget(this);
  }

  /** @internal State machine user: it only waits now (Completed, Confirmed, Accepted). */
  onWaiting(handOff: WaitingHandOff): boolean {
    return this.owner.wait(this, handOff);
  }

  /** @internal State machine user: Timer H fired (no ACK for a final response). */
  onTimeout(): void {
    this.owner.logger.debug('no ACK for a final response (Timer H)', { callId: this.inner.request.headers['call-id'] });
  }

  /** @internal State machine user: a response could not be sent. */
  onTransportError(error: unknown): void {
    this.owner.logger.info('could not send a response', { method: this.inner.request.method, error });
  }

  get kind(): ServerTransaction['kind'] {
    return this.inner.kind;
  }

  get state(): TransactionState {
    return this.inner.state;
  }

  get request(): SipRequest {
    return this.inner.request;
  }

  get remote(): Remote {
    return this.inner.remote;
  }

  respond(response: SipResponse): Promise<void> {
    if (this.answeredByLayer) {
      this.owner.absorb(this, response);
      return Promise.resolve();
    }
    return this.#send(response);
  }

  /**
   * @internal The layer answers the request itself (a CANCEL's 200, a 487, a 416…): what the
   * user sends afterwards is absorbed. Marked before sending, since over a reliable transport
   * the transaction may end while sending.
   */
  answerAsLayer(response: SipResponse): Promise<void> {
    this.answeredByLayer = true;
    return this.#send(response);
  }

  #send(response: SipResponse): Promise<void> {
    if (response.status >= 200) this.finalSent = true;
    if (this.toTag === undefined) {
      const tag = toTagOf(response);
      if (tag !== '') this.toTag = tag;
    }
    return this.inner.respond(response);
  }

  receiveRequest(request: SipRequest, remote: Remote): void {
    this.inner.receiveRequest(request, remote);
  }

  terminate(): void {
    this.inner.terminate();
  }
}
