/**
 * The transport contract the transaction layer talks to (neutral: browsers and Node alike). It is
 * declared here, by the transport, so every transport (Node UDP/TCP/TLS/WS, the browser WebSocket
 * client, a test loopback) offers the same port to the layer above.
 *
 * Built for the hot path: a send returns its outcome at once (`'sent'`, `'pending'` or the error)
 * and creates no Promise; only a `'pending'` send (a connection still opening, a write queued)
 * reports later, through the {@link SendListener} the caller passed (a transaction passes itself:
 * no closure per message). A response is serialized and routed once ({@link PreparedResponse})
 * and the same bytes go out again for each retransmission.
 * @see RFC 3261 §17.1.4, §17.2.4 (transport errors), §18.1.1, §18.2.2
 */
import { copyMessage, serializeMessage, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { responseTarget, type ResponseTarget } from './response-target.js';
import type { Remote, Target } from './types.js';

/**
 * What a send did by the time it returned:
 * - `'sent'`: handed to the OS or the connection; the listener is not called.
 * - `'pending'`: still under way (connecting, resolving, queued); the listener hears once how it ended.
 * - a `SipError` (status 503; `flow-failed` 430, RFC 5626 §5.3): failed now; the listener is not called.
 */
export type SendOutcome = 'sent' | 'pending' | SipError;

/** Told how a `'pending'` send ended. Transactions implement it themselves (no closure per send). */
export interface SendListener {
  /** The send failed (SipError, status 503 or 430). */
  onSendError(error: SipError): void;
  /** The message went out, and where (the connection's flow, for requests over TCP/TLS/WS). */
  onSent?(remote: Remote): void;
}

/** A response serialized once and routed once (RFC 3261 §18.2.2): retransmissions reuse it as is. */
export interface PreparedResponse {
  /** The bytes on the wire. */
  readonly bytes: Uint8Array;
  /** Where they go. */
  readonly to: ResponseTarget;
  /** The status, for logs and counters. */
  readonly status: number;
}

/**
 * What a transaction layer sends through. Implementations never throw: every failure is an
 * outcome or a listener call.
 * @see RFC 3261 §18
 */
export interface TransportPort {
  /**
   * Sends a request to `target`, stamping its top Via (in place) for the transport actually used.
   * @example const r = port.sendRequest(rq, target, tx); if (r instanceof SipError) tx.onSendError(r)
   * @see RFC 3261 §18.1.1
   */
  sendRequest(request: SipRequest, target: Target, listener?: SendListener): SendOutcome;
  /**
   * Serializes `response` and works out where it goes from its top Via and the transport its
   * request came on (`remote`).
   * @throws SipError `send-failed` (status 503) when the response has no top Via or an unknown transport in it
   * @see RFC 3261 §18.2.2, RFC 3581 §4
   */
  prepareResponse(response: SipResponse, remote?: Remote): PreparedResponse;
  /** Sends (or sends again) a prepared response. */
  sendResponse(prepared: PreparedResponse, listener?: SendListener): SendOutcome;
}

/** A resolved Promise shared by every send that completed synchronously (no Promise per message). */
const SENT: Promise<void> = Promise.resolve();

/**
 * The one {@link SendListener} of the send path: tells an optional failure and success callback
 * (a transaction's), and settles a Promise only when someone asked for one with
 * {@link SendWatch.promise} (made lazily: a send that finished at once, or that nobody awaits,
 * creates none).
 * @example const w = new SendWatch(tx.failed); if (port.sendResponse(p, w) === 'pending') await w.promise()
 */
export class SendWatch implements SendListener {
  #resolve: (() => void) | undefined = undefined;
  #reject: ((e: SipError) => void) | undefined = undefined;
  constructor(
    readonly onFail?: (error: SipError) => void,
    readonly onDone?: (remote: Remote) => void,
  ) {}
  /** A Promise of this send's outcome; ask only for a send that returned `'pending'`. */
  promise(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }
  onSendError(error: SipError): void {
    this.onFail?.(error);
    this.#reject?.(error);
  }
  onSent(remote: Remote): void {
    this.onDone?.(remote);
    this.#resolve?.();
  }
}

/**
 * A Promise for one send, for callers that want to await it: sends through `send(listener)` and
 * resolves when the message went out, rejects with its SipError. A synchronous success shares one
 * resolved Promise; only a `'pending'` send creates one.
 * @example await sendAwaitable((l) => port.sendResponse(port.prepareResponse(rs, remote), l))
 */
export function sendAwaitable(send: (listener: SendListener) => SendOutcome): Promise<void> {
  const watch = new SendWatch();
  const outcome = send(watch);
  if (outcome === 'sent') return SENT;
  if (outcome === 'pending') return watch.promise();
  return Promise.reject(outcome);
}

/** Wraps what a sender threw or rejected with as a SipError (status 503 unless it has one). */
export function asSendError(e: unknown, what: string): SipError {
  if (e instanceof SipError && e.status !== undefined) return e;
  return new SipError('send-failed', `${what}: ${e instanceof Error ? e.message : String(e)}`, { status: 503, cause: e });
}

/** A Promise-based sender, as transports and tests wrote them before {@link TransportPort}. */
export interface PromiseSender {
  sendRequest(request: SipRequest, target: Target): Promise<Remote>;
  sendResponse(response: SipResponse, remote?: Remote): Promise<Remote>;
}

/**
 * A {@link TransportPort} over a Promise-based sender (a test loopback, an adapter): every send is
 * `'pending'`, or a SipError when the sender throws synchronously. A prepared response keeps the
 * response object and goes to `sender.sendResponse` again on every send. Not for hot paths.
 * @example createTransactionLayer({ transport: promisePort({ sendRequest: (rq, t) => …, sendResponse: (rs, r) => … }), onServerTransaction })
 */
export function promisePort(sender: PromiseSender): TransportPort {
  type Prepared = PreparedResponse & { readonly response: SipResponse; readonly remote: Remote | undefined };
  function track(p: () => Promise<Remote>, listener: SendListener | undefined, what: string): SendOutcome {
    let sent: Promise<Remote>;
    try {
      sent = p();
    } catch (e) {
      return asSendError(e, what);
    }
    sent.then(
      (remote) => listener?.onSent?.(remote),
      (e: unknown) => listener?.onSendError(asSendError(e, what)),
    );
    return 'pending';
  }
  return {
    sendRequest(request, target, listener) {
      return track(() => sender.sendRequest(request, target), listener, `cannot send ${request.method}`);
    },
    prepareResponse(response, remote): Prepared {
      const to = responseTarget(response, remote, { symmetric: false });
      // A snapshot, as the bytes are: a retransmission sends what was prepared, not later edits.
      return { bytes: serializeMessage(response), to, status: response.status, response: copyMessage(response, true), remote };
    },
    sendResponse(prepared, listener) {
      const p = prepared as Prepared;
      return track(() => sender.sendResponse(p.response, p.remote), listener, `cannot send a ${String(p.status)} response`);
    },
  };
}
