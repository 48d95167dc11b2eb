/**
 * What {@link Stack.send} returns, and the bookkeeping of one request's outcome: the responses go
 * to the caller's `onResponse`, the first final one settles `final`, `cancel()` reaches the
 * request's transactions (RFC 3261 §9.1).
 *
 * Built for the hot path of a proxy or a facade that sends many requests and reads few outcomes:
 * `final` is a Promise only once somebody reads it (a proxy's branches never do), and cancelling
 * needs no AbortController.
 * @see RFC 3261 §8.1.3, §9.1, §17.1
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import { isFlowFailed, safely, type Logger, type Target } from '@sipts/transport';
import type { OutgoingRequest, RequestUser } from './outgoing-request.js';
import type { SentRequest } from './stack.js';
import { synthesize } from './synthesize.js';

/** What a {@link SentRequestImpl} is made of. */
export interface SentRequestOptions {
  request: SipRequest;
  onResponse: ((response: SipResponse) => void) | undefined;
  signal: AbortSignal | undefined;
  logger: Logger;
}

/** The part of the transaction layer a {@link SentRequestImpl} sends through. */
export interface RequestSender {
  sendRequest(request: SipRequest, targets: readonly Target[], user: RequestUser): OutgoingRequest;
}

/**
 * One request sent by a stack: its responses, its outcome, its cancellation. It is also the
 * transaction layer's {@link RequestUser} for the request, so a send allocates no callbacks.
 */
export class SentRequestImpl implements SentRequest, RequestUser {
  /** Until the first final response: what a synthesized final is built from. */
  #request: SipRequest | undefined;
  readonly #onResponse: ((response: SipResponse) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #logger: Logger;
  #tx: OutgoingRequest | undefined;
  #cancelled = false;
  /** While true the sender is still inside `send()`: responses wait for it to return. */
  #holding = false;
  /** The first final response, once there is one. */
  #finalResponse: SipResponse | undefined;
  #final: Promise<SipResponse> | undefined;
  #settle: ((response: SipResponse) => void) | undefined;
  /** The abort listener, made only when the caller gave a signal (most requests have none). */
  #onAbort: (() => void) | undefined = undefined;

  constructor(options: SentRequestOptions) {
    this.#request = options.request;
    this.#onResponse = options.onResponse;
    this.#signal = options.signal;
    this.#logger = options.logger;
  }

  get final(): Promise<SipResponse> {
    if (this.#final === undefined) {
      const known = this.#finalResponse;
      this.#final =
        known !== undefined
          ? Promise.resolve(known)
          : new Promise<SipResponse>((resolve) => {
              this.#settle = resolve;
            });
    }
    return this.#final;
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#tx?.cancel();
  }

  /** True once `cancel()` was called or the caller's signal aborted. */
  get aborted(): boolean {
    return this.#cancelled || this.#signal?.aborted === true;
  }

  /** True once a final response (real or synthesized) was delivered. */
  get settled(): boolean {
    return this.#finalResponse !== undefined;
  }

  /**
   * Hands the request to `layer` for `targets`. Responses caused at once (a synchronous transport
   * failure), and the 430/503 of a send that throws (430 when the flow failed, RFC 5626 §5.3), are
   * held until the current call stack returns, so the caller holds its handle before its
   * `onResponse` runs.
   */
  sendNow(layer: RequestSender, targets: readonly Target[]): void {
    const request = this.#request;
    if (request === undefined) return;
    this.#holding = true;
    let tx: OutgoingRequest | undefined;
    try {
      tx = layer.sendRequest(request, targets, this);
    } catch (e) {
      this.giveUp(isFlowFailed(e) ? 430 : 503, 'could not send', e);
    } finally {
      this.#holding = false;
    }
    // A request already answered (a synchronous failure) has nothing left to cancel.
    if (tx === undefined || this.#finalResponse !== undefined) return;
    this.#tx = tx;
    const signal = this.#signal;
    if (tx.state !== 'terminated' && signal !== undefined) {
      signal.addEventListener('abort', (this.#onAbort ??= () => { this.#tx?.cancel(); }), { once: true });
    }
  }

  /** Removes the abort listener (the request has ended or has its final response). */
  #forgetSignal(): void {
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  /** RequestUser: a response of the request's transactions (see {@link deliver}). */
  onResponse(response: SipResponse): void {
    this.deliver(response);
  }

  /**
   * RequestUser: what the layer keeps while the INVITE waits in Accepted (Timer M): the caller's
   * callback alone. This handle, with the final response and the `final` promise, is then the
   * caller's to keep or drop; a proxy drops it, so a forwarded call does not hold its 200 for 32 s.
   */
  accepted(): RequestUser {
    return new LateResponses(this.#onResponse, this.#logger);
  }

  /** RequestUser: the request's transactions ended (see {@link ended}). */
  onTerminated(): void {
    this.ended();
  }

  /** The request's transactions ended: a request left without a final response gets a 503. */
  ended(): void {
    this.#forgetSignal();
    const request = this.#request;
    if (request !== undefined) this.deliver(synthesize(request, 503));
  }

  /** Synthesizes the final response of a request that was not (or could not be) sent; nothing once it has one. */
  giveUp(status: 430 | 487 | 503, why: string, error?: unknown): void {
    const request = this.#request;
    if (request === undefined) return;
    this.#logger.debug(why, { method: request.method, error });
    this.deliver(synthesize(request, status));
  }

  /**
   * Passes a response to the caller; the first final one settles `final`, and the request and its
   * transactions are let go then (an INVITE's further 2xx may come for Timer M: they need only the
   * caller's callback).
   */
  deliver(response: SipResponse): void {
    const first = response.status >= 200 && this.#finalResponse === undefined;
    if (first) {
      this.#finalResponse = response;
      this.#request = undefined;
      // Nothing is cancelled after a final response (§9.1): its transactions are not held either,
      // and the caller's signal lets go of this handle.
      this.#tx = undefined;
      this.#forgetSignal();
    }
    if (this.#holding) {
      queueMicrotask(() => {
        this.#tell(response, first);
      });
      return;
    }
    this.#tell(response, first);
  }

  #tell(response: SipResponse, first: boolean): void {
    tellCaller(this.#logger, this.#onResponse, response);
    if (first) this.#settle?.(response);
  }
}

/**
 * The user kept for an INVITE in Accepted on behalf of a {@link SentRequestImpl}: its further 2xx
 * (RFC 6026 §7.2) go to the caller's callback; nothing else is held.
 */
class LateResponses implements RequestUser {
  constructor(
    readonly callback: ((response: SipResponse) => void) | undefined,
    readonly logger: Logger,
  ) {}

  onResponse(response: SipResponse): void {
    tellCaller(this.logger, this.callback, response);
  }
}

/** Passes `response` to the caller's `onResponse`, if any; what it throws is logged, not raised. */
function tellCaller(logger: Logger, callback: ((response: SipResponse) => void) | undefined, response: SipResponse): void {
  if (callback === undefined) return;
  safely(logger, 'onResponse', () => {
    callback(response);
  });
}
