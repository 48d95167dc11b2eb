/**
 * The proxy's vocabulary: the stack it drives (a structural subset of `@sipts/transaction/node`'s
 * `Stack`, so the core stays neutral), its options, forwarding targets and the proxy instance.
 * @see RFC 3261 §16
 */
import type { RouteEntry, SipMessage, SipRequest, SipResponse } from '@sipts/message';
import type { Clock, ServerTransactionHandle } from '@sipts/transaction';
import type { Logger, Remote, Target, TransportProtocol } from '@sipts/transport';

/** What the proxy needs from a stack instance; `createStack` from `@sipts/transaction/node` fits. */
export interface ProxyStack {
  /** Sends through a client transaction; `cancel()` of the handle cancels it (RFC 3261 §9.1). */
  send(request: SipRequest, options?: { onResponse?: (response: SipResponse) => void; target?: Target }): { readonly final: Promise<SipResponse>; cancel(): void };
  /** Sends a request with no transaction (used for ACKs and stateless forwarding). */
  sendAck(request: SipRequest, options?: { target?: Target }): Promise<void>;
  setRequestHandler(handler: (request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void): void;
  sendStateless(response: SipResponse, remote?: Remote): Promise<void>;
  respond(response: SipResponse): Promise<void>;
  readonly transport: { readonly listening: readonly { protocol: TransportProtocol; address: string; port: number }[] };
}

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  /** Insert Record-Route (with `lr` and the side's transport) in dialog-creating requests. Default false. */
  recordRoute?: boolean;
  /** The host written in Record-Route; default the listening address of the side. */
  recordRouteHost?: string;
  /**
   * URI parameters to add to this proxy's Record-Route entries on one branch; `branch` is the
   * request as forwarded there (its Request-URI is the branch's target): e.g. a signed token
   * that later lets the proxy recognise in-dialog requests of dialogs it record-routed
   * (RFC 3261 §16.6 item 4 lets a proxy put what it likes in its own URI).
   */
  recordRouteParams?: (branch: SipRequest) => Record<string, string> | undefined;
  /**
   * How many times a request may come back through this proxy (a Via of ours already in it)
   * before it is answered 482 (Loop Detected). RFC 3261 §16.3 item 4 allows such spirals when
   * the Request-URI changed; a cap stops a spiral through several contacts that point back at
   * the proxy from multiplying a request. Default unlimited.
   */
  maxSpirals?: number;
  /** Host names that mean this proxy in Route, Request-URI and Via, besides the listening addresses. */
  aliases?: readonly string[];
  /** Timer C in ms (RFC 3261 §16.8: more than 3 minutes). Default 181 000. */
  timerC?: number;
  /**
   * How long a context may wait with no branch pending and no final response sent (the route
   * callback did nothing) before the proxy answers 408 and ends it. Default 32 000 ms.
   */
  contextTimeout?: number;
  /** Stateless mode (RFC 3261 §16.11): no transaction or context state; one target per request. */
  stateless?: boolean;
  /** Option tags this proxy supports in Proxy-Require (others get 420). Default none. */
  supported?: readonly string[];
  /** Answer OPTIONS with Max-Forwards 0 with 200 instead of 483 (§16.3 item 3). Default true. */
  answerOptions?: boolean;
  /** Timers for Timer C and the context timeout. Default: the transaction package's default clock. */
  clock?: Clock;
  logger?: Logger;
}

/** Called with each response of a branch sent with a callback; the top Via is still the proxy's. */
export type ResponseCallback = (response: SipResponse) => void;

/** One target of a forked request: a Request-URI, an optional q-value and an optional fixed destination. */
export interface ForwardTarget {
  /** The new Request-URI; default the request's own. */
  uri?: string;
  /** Preference (0–1) for sequential forking: higher first. Default 1. */
  q?: number;
  /** Send here instead of resolving the next hop. */
  target?: Target;
  /**
   * Route entries to put in front of the request's Route set for this branch only: a
   * registered contact's Path (RFC 3327 §5.3, RFC 3261 §16.6 item 6).
   */
  route?: readonly RouteEntry[];
}

/** Options of {@link Proxy.send}. */
export interface ProxySendOptions {
  /** Responses of the branches go here instead of the proxy's best-response selection. */
  callback?: ResponseCallback;
  /** Fork to these targets (RFC 3261 §16.5); default one branch to the request's Request-URI. */
  targets?: readonly (string | ForwardTarget)[];
  /** `sequential`: one target at a time, by descending q (§16.6); default `parallel`. */
  mode?: 'parallel' | 'sequential';
  /** Send the (single) branch here instead of resolving the next hop. */
  target?: Target;
}

/**
 * The route callback: a copy of each incoming request (ACKs for 2xx included), where it came
 * from, and the Route entries naming this proxy that were removed from its top (RFC 3261 §16.4;
 * empty when there were none), top first: what a proxy wrote in its own Record-Route (a flow
 * token in the user part, a dialog token in a parameter) comes back here.
 */
export type ProxyRequestHandler = (request: SipRequest, remote: Remote, removedRoute: readonly RouteEntry[]) => void;

/** A proxy core running on a stack. */
export interface Proxy {
  /**
   * The classic `proxy.send`: a request in the context of an incoming request (found by its top
   * Via, Call-ID and CSeq number) is forwarded (§16.6) to one or more targets; a response answers
   * the incoming request; anything else is sent as is through the stack.
   * @throws SipError `invalid-argument` for a message with no Via
   */
  send(message: SipMessage, options?: ResponseCallback | ProxySendOptions): void;
  /** Feed the stack's `onAck` here: ACKs for 2xx reach the route callback. */
  receiveAck(ack: SipRequest, remote: Remote): void;
  /** Feed the stack's `onStrayResponse` here: forwarded statelessly (2xx retransmissions, §16.7). */
  receiveStrayResponse(response: SipResponse, remote: Remote): void;
  /** Live contexts (incoming requests not finished yet). */
  readonly contexts: number;
  /** Ends every context and its timers; later requests get 503. Idempotent. */
  stop(): void;
}
