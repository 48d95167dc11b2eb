/**
 * The transaction layer's public shape: its options, its counters and the object
 * `createTransactionLayer` returns.
 * @see RFC 3261 §17
 */
import type { SipMessage, SipRequest, SipResponse } from '@sipts/message';
import type { Logger, Remote, Target, TransportHandlers, TransportPort } from '@sipts/transport';
import type { Clock, TimerValues } from './clock.js';
import type { OutgoingRequest, RequestUser } from './outgoing-request.js';
import type { ServerTransactionHandle } from './server-handle.js';
import type { TransactionContext } from './types.js';

/** Options of `createTransactionLayer`. */
export interface TransactionLayerOptions {
  /** Where messages are sent (a transport layer, or a test loopback). */
  transport: TransportPort;
  /** Default: `createDefaultClock()`. */
  clock?: Clock;
  /** T1, T2, T4 for this instance; default RFC 3261's 500 ms, 4 s, 5 s. */
  timers?: Partial<TimerValues>;
  logger?: Logger;
  /**
   * A new request (not a retransmission, not an ACK, not a CANCEL): answer through `st`. If this
   * throws before a final response was sent, the layer answers 500 and logs the error.
   */
  onServerTransaction(request: SipRequest, st: ServerTransactionHandle, remote: Remote): void;
  /** A response that matches no client transaction (a proxy forwards 2xx retransmissions, §16.7). */
  onStrayResponse?: (response: SipResponse, remote: Remote) => void;
  /** An ACK that matches no transaction: the ACK for a 2xx (§13.3.1.4, §17.2.3). */
  onAck?: (ack: SipRequest, remote: Remote) => void;
  /** Answer 487 to a cancelled INVITE that has no final response yet (§9.2). Default true. */
  cancel487?: boolean;
  /** Send 100 Trying for INVITEs the user has not answered within 200 ms (§17.2.1). Default: the INVITE server transaction's default. */
  trying100?: boolean;
  /**
   * Answer merged requests 482 (§8.2.2.2: a UAS rule). Default true; a proxy turns it off, since
   * a request spiralling back through it legitimately repeats From tag, Call-ID and CSeq (§16.3).
   */
  mergedRequests?: boolean;
  /**
   * Request-URI schemes the user handles; a request with another scheme is answered 416
   * Unsupported URI Scheme before `onServerTransaction` (RFC 3261 §8.2.2.1, §16.3). Default
   * `['sip', 'sips', 'tel']`; `'any'` lets every scheme through (a proxy with its own rules).
   */
  uriSchemes?: readonly string[] | 'any';
  /**
   * The most server transactions, live and waiting (Timers J, I, L), the layer keeps; every one is
   * created by a peer's request, so this is the bound on what a peer can make the layer hold. A new
   * request that would exceed it gets a stateless 503 Service Unavailable with `Retry-After: 5`
   * and no transaction (RFC 3261 §21.5.4, §20.33; an ACK is never answered), counted in
   * `stats.overloadedRequests`. Retransmissions of requests that have a transaction are matched
   * as before. A CANCEL over the bound gets the 503 too, even when its INVITE is there: answering
   * it needs a transaction, which outlives its INVITE by up to 64·T1, so a peer that cancels
   * and ACKs at once would hold several per INVITE if CANCELs were let past. The INVITE goes on
   * until it is answered; the UAC may send the CANCEL again after `Retry-After`.
   *
   * Default 1,000,000: above what one stack instance holds from traffic it keeps up with (one
   * core answers 15,000 to 27,000 OPTIONS/s in `bench/`, each kept 64·T1 = 32 s over UDP: 0.5 to
   * 0.9 million), yet 0.5 to 0.65 GB of waiting entries (0.27 to 0.4 KB of heap and ~0.25 KB of
   * response bytes each), within Node's default heap; a flood of 100,000 new requests/s would
   * hold 3 million before the first expired. A live transaction also keeps its request, so a TU
   * that leaves many unanswered (a proxy under Timer C) may want less. `Infinity` turns it off.
   * @see RFC 3261 §21.5.4, §20.33, §17.2.2
   */
  maxServerTransactions?: number;
}

/** Counters of a transaction layer; read them for metrics. */
export interface TransactionStats {
  /**
   * Responses the user sent to a request the layer had answered itself (a CANCEL's 200, a
   * cancelled INVITE's 487, RFC 3261 §9.2): not sent, so the peer gets one answer.
   */
  absorbedResponses: number;
  /** Requests answered 416 for their Request-URI scheme (RFC 3261 §8.2.2.1). */
  unsupportedUriSchemes: number;
  /**
   * New requests (a retransmission of one counts again) answered 503 with no transaction because
   * the server transactions were at `maxServerTransactions` (RFC 3261 §21.5.4).
   */
  overloadedRequests: number;
}

/** The transaction layer: give `handlers` to the transport, send through it, stop it. */
export interface TransactionLayer {
  /** What the transport below calls with every message it receives. */
  readonly handlers: TransportHandlers;
  /** The context transactions of this layer are created with. */
  readonly context: TransactionContext;
  /**
   * Sends a request through client transactions (§17.1), trying `targets` in order: a transport
   * error, a 503 or a timeout from one target (before a provisional other than 100 arrived) makes
   * the next target get a new transaction with a new branch (RFC 3263 §4.3). A request with no Via
   * gets a new top Via with a fresh branch (the transport fills in the rest); a top Via without a
   * branch gets one. The request object is the caller's and is changed in place (Via stamping).
   * @throws SipError `invalid-argument` for an ACK (use {@link TransactionLayer.sendAck}) or no targets; `invalid-state` after stop()
   * @example layer.sendRequest(options, targets, { onResponse: (rs) => log(rs.status) })
   * @see RFC 3261 §17.1, §8.1.3.1; RFC 3263 §4.3
   */
  sendRequest(request: SipRequest, targets: readonly Target[], user: RequestUser): OutgoingRequest;
  /**
   * Sends an ACK for a 2xx, which has no transaction (§13.2.2.4, §17.1.1.3), adding a top Via with
   * a fresh branch when there is none.
   * @throws SipError (rejection, status 503) when the transport cannot send it
   */
  sendAck(ack: SipRequest, target: Target): Promise<void>;
  /**
   * Sends a response with no transaction (§18.2.2): a proxy's 2xx retransmission, a response
   * after the transaction ended.
   * @throws SipError (rejection, status 503) when the transport cannot send it
   */
  sendStateless(response: SipResponse, remote?: Remote): Promise<void>;
  /**
   * Sends a response through the live server transaction of its request (matched by its top Via
   * branch, sent-by and CSeq method, §17.2.3), or statelessly (§18.2.2) when there is none (the
   * classic `send(response)`, which dropped it instead). A response to a request the layer
   * answered itself (a CANCEL, a cancelled INVITE, §9.2) is absorbed instead, while the
   * transaction lives and 64·T1 after (counted in `stats.absorbedResponses`).
   * @throws SipError (rejection) when the transport cannot send it, or the transaction refuses it (a final after a final)
   */
  respond(response: SipResponse): Promise<void>;
  /**
   * The live server transaction a response (or its request) belongs to, matched as
   * {@link TransactionLayer.respond} matches it (§17.2.3); undefined for none, for one that only
   * waits to absorb retransmissions, and for RFC 2543 requests (no magic cookie).
   */
  serverTransactionOf(message: SipMessage): ServerTransactionHandle | undefined;
  /** Transactions, client and server, live or waiting (CANCEL transactions included). */
  readonly size: number;
  /** Counters (absorbed responses, 416s, 503s over `maxServerTransactions`). */
  readonly stats: TransactionStats;
  /** Terminates every transaction silently (their users' onTerminated still run) and clears every timer. Idempotent. */
  stop(): void;
}
