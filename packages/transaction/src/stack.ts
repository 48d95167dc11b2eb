/**
 * The stack instance, neutral (browsers and Node alike): a transport (anything that offers a
 * {@link TransportPort} and is fed by the transport's receive pipeline), a resolver of next hops,
 * a transaction layer, timers and a logger of its own. No module state: several stacks in one
 * process work side by side. `@sipts/transaction/node` adds the Node transports and the RFC 3263
 * resolver; the classic `sip.create`/`start`/`send` are thin wrappers over that.
 * @see RFC 3261 §17, §8.1.2, §9.1; RFC 3263 §4
 */
import { isSipUri, makeResponse, parseUri, SipError, stringifyUri, type SipMessage, type SipRequest, type SipResponse, type SipUri, type Uri } from '@sipts/message';
import { asError, generateTag, silentLogger, type Logger, type Remote, type Target, type TransportHandlers, type TransportPort } from '@sipts/transport';
import type { Clock, TimerValues } from './clock.js';
import type { ServerTransactionHandle } from './server-handle.js';
import { SentRequestImpl } from './sent-request.js';
import { createDefaultClock } from './timer-heap.js';
import { createTransactionLayer, type TransactionStats } from './transaction-layer.js';

/** What a stack needs of its transport: a port to send through, and a life cycle. */
export interface StackTransport {
  /** Where the transaction layer sends (RFC 3261 §18). */
  readonly port: TransportPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of the neutral {@link createStack}. */
export interface StackCoreOptions<T extends StackTransport> {
  /**
   * Creates the transport, feeding what it receives to `handlers` (through the transport's receive
   * pipeline, which checks mandatory headers and answers 400s).
   */
  transport: (handlers: TransportHandlers) => T;
  /** Resolves a next-hop URI to targets, tried in order (RFC 3263 §4). */
  resolve: (uri: string) => Promise<Target[]>;
  /**
   * The targets of a next hop that needs no lookup (a numeric host), at once; `undefined` sends the
   * request through `resolve`. Lets a request to an IP address go out before `send` returns.
   */
  resolveNow?: (uri: string | SipUri) => Target[] | undefined;
  logger?: Logger;
  /** T1, T2, T4 for this stack (default 500 ms, 4 s, 5 s). */
  timers?: Partial<TimerValues>;
  /** Default: `createDefaultClock()` (one host timer driving a heap of deadlines). */
  clock?: Clock;
  /** Send 100 Trying for INVITEs not answered within 200 ms. Default true. */
  trying100?: boolean;
  /** Answer 487 to an INVITE cancelled before its final response. Default true. */
  cancel487?: boolean;
  /** Answer merged requests 482 (RFC 3261 §8.2.2.2, a UAS rule). Default true; proxies turn it off. */
  mergedRequests?: boolean;
  /**
   * Request-URI schemes the application handles; others are answered 416 before the request handler
   * (RFC 3261 §8.2.2.1, §16.3). Default `['sip', 'sips', 'tel']`; `'any'` lets all through.
   */
  uriSchemes?: readonly string[] | 'any';
  /**
   * The most server transactions (live and waiting) the stack keeps; a new request over it is
   * answered 503 with Retry-After and no transaction (RFC 3261 §21.5.4). Default 1,000,000
   * (`TransactionLayerOptions.maxServerTransactions` says why); `Infinity` turns it off.
   */
  maxServerTransactions?: number;
  /** A response that matches no client transaction (e.g. a 2xx retransmission after Timer M). */
  onStrayResponse?: (response: SipResponse, remote: Remote) => void;
  /** An ACK that matches no transaction: the ACK of a 2xx (RFC 3261 §13.3.1.4). */
  onAck?: (ack: SipRequest, remote: Remote) => void;
  /** The transport's other events (flows closed or failed, keep-alives), passed through as they are. */
  transportEvents?: Omit<TransportHandlers, 'onRequest' | 'onResponse'>;
}

/** Options of {@link Stack.send}. */
export interface SendOptions {
  /** Every provisional and final response (real or synthesized), and every further 2xx of an INVITE. */
  onResponse?: (response: SipResponse) => void;
  /**
   * Aborting cancels: an INVITE gets a CANCEL once a provisional response has come (RFC 3261 §9.1);
   * a request not sent yet is not sent (`final` is a synthesized 487). A non-INVITE already sent
   * runs to its end.
   */
  signal?: AbortSignal;
  /** Send here instead of resolving the next hop (the same as `targets: [target]`). */
  target?: Target;
  /**
   * Try these, in order, instead of resolving the next hop (the failover list an application
   * resolved itself, RFC 3263 §4.3). An empty list is answered 503 (no target). Wins over `target`.
   */
  targets?: readonly Target[];
}

/** A request sent by {@link Stack.send}. */
export interface SentRequest {
  /**
   * The final response: the real one, or a synthesized 408 (timeout), 503 (transport error, no
   * target, stack stopped), 430 (the target's flow closed under it, RFC 5626 §5.3) or 487
   * (aborted before sending, or no final 64·T1 after a CANCEL).
   * Never rejects for SIP outcomes.
   */
  readonly final: Promise<SipResponse>;
  /**
   * The same as aborting `signal` (RFC 3261 §9.1), without an AbortController: a caller that
   * cancels many requests (a proxy's INVITE branches, §16.10) pays for none it does not cancel.
   */
  cancel(): void;
}

/** A SIP stack instance on a transport of type `T`. */
export interface Stack<T extends StackTransport = StackTransport> {
  /**
   * Starts the transport (binds its sockets, opens its connection).
   * @throws SipError `bind-failed`
   */
  start(): Promise<void>;
  /**
   * Sends a request through a client transaction: the targets come from the resolver for the next
   * hop (the first Route if it has `lr`, else the Request-URI, RFC 3261 §8.1.2) unless `targets`
   * (or `target`) is given; they are tried in order (failover on a transport error, a 503 or a timeout).
   * @throws SipError `invalid-argument` for an ACK (use {@link Stack.sendAck})
   */
  send(request: SipRequest, options?: SendOptions): SentRequest;
  /**
   * Sends an ACK for a 2xx (no transaction, RFC 3261 §13.2.2.4) to the first target of its next
   * hop, or of `targets` (or `target`) when given.
   * @throws SipError (rejection) when it cannot be resolved or sent
   */
  sendAck(ack: SipRequest, options?: Pick<SendOptions, 'target' | 'targets'>): Promise<void>;
  /**
   * Sets the handler of new requests; answer through `st`. A throwing handler produces a 500.
   * Without a handler, requests are answered 503.
   */
  setRequestHandler(handler: (request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void): void;
  /** Sends a response with no transaction (RFC 3261 §18.2.2). */
  sendStateless(response: SipResponse, remote?: Remote): Promise<void>;
  /**
   * Sends a response through the live server transaction of its request (found by its Via branch,
   * sent-by and CSeq method), or statelessly when there is none (the classic `send(response)`).
   * @throws SipError (rejection) when it cannot be sent
   */
  respond(response: SipResponse): Promise<void>;
  /** The live server transaction a response (or its request) belongs to (see `TransactionLayer.serverTransactionOf`). */
  serverTransactionOf(message: SipMessage): ServerTransactionHandle | undefined;
  /** Live transactions (client and server). */
  readonly transactions: number;
  /** The transaction layer's counters (responses absorbed after the stack answered a CANCEL, 416s, 503s over `maxServerTransactions`). */
  readonly stats: TransactionStats;
  /** The transport the stack was created with (its counters, flows, keep-alives). */
  readonly transport: T;
  /** Ends every transaction, timer and socket; resolves when done. Idempotent. */
  stop(): Promise<void>;
}

/** RFC 3261 §8.1.2: the first Route if it is a loose router, else the Request-URI. */
export function nextHop(request: SipRequest): string {
  const uri = nextHopUri(request);
  return typeof uri === 'string' ? uri : stringifyUri(uri);
}

/** {@link nextHop} as the request holds it (parsed or text), not written out again. */
function nextHopUri(request: SipRequest): string | Uri {
  const route = request.headers.route?.[0];
  if (route !== undefined) {
    const uri = typeof route.uri === 'string' ? parseUri(route.uri) : route.uri;
    if (uri !== undefined && isSipUri(uri) && uri.params.lr !== undefined) return uri;
  }
  return request.uri;
}

/** The targets `resolveNow` knows for the request's next hop without a lookup (a SIP URI with a numeric host). */
function knownTargets(request: SipRequest, resolveNow: (uri: string | SipUri) => Target[] | undefined): Target[] | undefined {
  const uri = nextHopUri(request);
  return typeof uri === 'string' || isSipUri(uri) ? resolveNow(uri) : undefined;
}

/** The layer's options that are copied only when given (exactOptionalPropertyTypes). */
const PASSED = ['timers', 'trying100', 'cancel487', 'mergedRequests', 'uriSchemes', 'maxServerTransactions', 'onStrayResponse', 'onAck'] as const;

/**
 * Creates a stack instance on any transport; nothing is started until `start()`.
 * @throws SipError `invalid-argument` when `maxServerTransactions` is not a whole number ≥ 0 or `Infinity`
 * @example
 * const stack = createStack({
 *   transport: (handlers) => createWsTransport({ url }, handlers), // with a `port`
 *   resolve: async () => [wsTarget(url)],
 * });
 * stack.setRequestHandler((rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() })));
 * @see RFC 3261 §17
 */
export function createStack<T extends StackTransport>(options: StackCoreOptions<T>): Stack<T> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? createDefaultClock();
  const resolve = options.resolve;
  const resolveNow = options.resolveNow;
  let handler: ((request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void) | undefined;
  let stopped: Promise<void> | undefined;
  /** Requests waiting for their targets: each entry gives its request up (on stop). */
  const resolving = new Set<() => void>();

  const passed: Record<string, unknown> = {};
  for (const key of PASSED) if (options[key] !== undefined) passed[key] = options[key];
  // The transport is created below with the layer's handlers; the layer reaches its port through it.
  const port: TransportPort = {
    sendRequest: (rq, target, l) => transport.port.sendRequest(rq, target, l),
    prepareResponse: (rs, remote) => transport.port.prepareResponse(rs, remote),
    sendResponse: (prepared, l) => transport.port.sendResponse(prepared, l),
  };
  const layer = createTransactionLayer({
    ...passed,
    transport: port,
    clock,
    logger,
    onServerTransaction(request, st, remote) {
      if (handler === undefined) {
        logger.warn('no request handler: answering 503', { method: request.method });
        void st.respond(makeResponse(request, 503, undefined, { toTag: generateTag() })).catch(() => undefined);
        return;
      }
      handler(request, st, remote);
    },
  });
  const transport = options.transport({ ...options.transportEvents, ...layer.handlers });

  async function targetsFor(request: SipRequest, given: { target?: Target; targets?: readonly Target[] }): Promise<Target[]> {
    if (given.targets !== undefined) return given.targets.slice();
    if (given.target !== undefined) return [given.target];
    return resolve(nextHop(request));
  }

  /** Hands the request to the transaction layer, or gives it up (aborted, no target, a send that failed at once). */
  function sendTo(sent: SentRequestImpl, request: SipRequest, targets: readonly Target[]): void {
    if (sent.aborted) {
      sent.giveUp(487, 'aborted before sending');
      return;
    }
    if (targets.length === 0) {
      sent.giveUp(503, `no target for ${nextHop(request)}`);
      return;
    }
    sent.sendNow(layer, targets);
  }

  /** Sends an ACK for a 2xx to the first target (§13.2.2.4); a rejection when there is none or it fails. */
  function sendAckTo(ack: SipRequest, targets: readonly Target[]): Promise<void> {
    const first = targets[0];
    if (first === undefined) return Promise.reject(new SipError('send-failed', `no target for ${nextHop(ack)}`, { status: 503 }));
    try {
      return layer.sendAck(ack, first);
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  function send(request: SipRequest, sendOptions: SendOptions = {}): SentRequest {
    if (request.method === 'ACK') throw new SipError('invalid-argument', 'an ACK has no transaction: use sendAck');
    const sent = new SentRequestImpl({ request, onResponse: sendOptions.onResponse, signal: sendOptions.signal, logger });
    if (stopped !== undefined) {
      sent.giveUp(503, 'the stack is stopped');
      return sent;
    }
    if (sent.aborted) {
      sent.giveUp(487, 'aborted before sending');
      return sent;
    }
    // Targets the caller gave go out now: no Promise and no microtask per request (a proxy's
    // branches, the facade's sends). Only a next hop still to resolve waits for the resolver.
    const given = sendOptions.targets ?? (sendOptions.target !== undefined ? [sendOptions.target] : undefined);
    if (given !== undefined) {
      sendTo(sent, request, given.slice());
      return sent;
    }
    const known = resolveNow === undefined ? undefined : knownTargets(request, resolveNow);
    if (known !== undefined) {
      sendTo(sent, request, known);
      return sent;
    }
    const abandon = (): void => {
      sent.giveUp(503, 'the stack stopped before the request was sent');
    };
    resolving.add(abandon);
    targetsFor(request, sendOptions)
      .then((targets) => {
        if (resolving.delete(abandon)) sendTo(sent, request, targets); // else the stack stopped meanwhile
      })
      .catch((e: unknown) => {
        if (!resolving.delete(abandon)) return;
        sent.giveUp(503, 'could not resolve the next hop', e);
      });
    return sent;
  }

  return {
    start: () => transport.start(),
    send,
    sendAck(ack, ackOptions = {}) {
      const given = ackOptions.targets ?? (ackOptions.target !== undefined ? [ackOptions.target] : undefined);
      const known = given ?? (resolveNow === undefined ? undefined : knownTargets(ack, resolveNow));
      // Known targets (a proxy's 2xx ACK to a numeric host): sent now, the layer's Promise returned as it is.
      if (known !== undefined) return sendAckTo(ack, known);
      return targetsFor(ack, ackOptions).then((targets) => sendAckTo(ack, targets));
    },
    setRequestHandler(h) {
      handler = h;
    },
    sendStateless: (response, remote) => layer.sendStateless(response, remote),
    respond: (response) => layer.respond(response),
    serverTransactionOf: (message) => layer.serverTransactionOf(message),
    get transactions() {
      return layer.size;
    },
    stats: layer.stats,
    transport,
    stop() {
      stopped ??= (async () => {
        layer.stop();
        for (const abandon of [...resolving]) abandon();
        resolving.clear();
        await transport.stop();
      })();
      return stopped;
    },
  };
}
