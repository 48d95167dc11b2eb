/**
 * The stack instance: a transport layer (UDP, TCP, TLS, WS), an RFC 3263 resolver, a transaction
 * layer, timers and a logger of its own. No module state: several stacks in one process work side
 * by side. The classic `sip.create`/`start`/`send` are thin wrappers over this.
 * @see RFC 3261 §17, §8.1.2, §9.1; RFC 3263 §4
 */
import { isSipUri, makeResponse, parseUri, SipError, stringifyUri, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag, isFlowFailed, silentLogger, type FlowFailureReason, type Remote, type Target, type TransportHandlers } from '@sipts/transport';
import { createResolver, createTransportLayer, type SipResolver, type TransportLayer, type TransportOptions } from '@sipts/transport/node';
import type { Clock, TimerValues } from '../clock.js';
import { synthesize } from '../synthesize.js';
import { createDefaultClock } from '../timer-heap.js';
import type { OutgoingTransaction } from '../outgoing-request.js';
import type { ServerTransactionHandle } from '../server-handle.js';
import { outboundRegistration } from '../outbound-registration.js';
import { createTransactionLayer, type TransactionStats } from '../transaction-layer.js';

/** Options of {@link createStack}: the transport's, plus the transaction layer's. */
export interface StackOptions extends TransportOptions {
  /** T1, T2, T4 for this stack (default 500 ms, 4 s, 5 s). */
  timers?: Partial<TimerValues>;
  /** Default: `createDefaultClock()` (one host timer driving a heap of deadlines). */
  clock?: Clock;
  /**
   * Resolves a next-hop URI to targets (RFC 3263). Default: `createResolver` on the system's DNS,
   * over the transports with a listener, and TLS and WSS too when `tlsClient` is given.
   */
  resolver?: SipResolver | ((uri: string) => Promise<Target[]>);
  /** Send 100 Trying for INVITEs not answered within 200 ms. Default true. */
  trying100?: boolean;
  /** Answer 487 to an INVITE cancelled before its final response. Default true. */
  cancel487?: boolean;
  /** Answer merged requests 482 (RFC 3261 §8.2.2.2, a UAS rule). Default true; proxies turn it off. */
  mergedRequests?: boolean;
  /**
   * Request-URI schemes the application handles; others are answered 416 before `onRequest`
   * (RFC 3261 §8.2.2.1, §16.3). Default `['sip', 'sips', 'tel']`; `'any'` lets all through.
   */
  uriSchemes?: readonly string[] | 'any';
  /** A response that matches no client transaction (e.g. a 2xx retransmission after Timer M). */
  onStrayResponse?: (response: SipResponse, remote: Remote) => void;
  /** An ACK that matches no transaction: the ACK of a 2xx (RFC 3261 §13.3.1.4). */
  onAck?: (ack: SipRequest, remote: Remote) => void;
  /** A connection (flow) closed: a registrar drops the bindings that used it (RFC 5626 §5.3). */
  onFlowClosed?: (flowId: string, remote: Remote) => void;
  /**
   * A flow with keep-alives failed (RFC 5626 §4.4: no pong within 10 s, no STUN answer, a changed
   * mapped address, or the server closed the connection): register again (§4.2), after the
   * backoff of §4.5 (`flowRecoveryDelayMs`). Needs `keepAlive`.
   */
  onFlowFailed?: (remote: Remote, reason: FlowFailureReason) => void;
  /** A peer's keep-alive was answered (a CRLF ping, or a STUN Binding request on the UDP port). */
  onKeepAlive?: (remote: Remote, kind: 'crlf' | 'stun') => void;
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
export interface ClientTransactionHandle {
  /**
   * The final response: the real one, or a synthesized 408 (timeout), 503 (transport error, no
   * target, stack stopped), 430 (the target's flow closed under it, RFC 5626 §5.3) or 487
   * (aborted before sending, or no final 64·T1 after a CANCEL).
   * Never rejects for SIP outcomes.
   */
  readonly final: Promise<SipResponse>;
}

/** A SIP stack instance. */
export interface Stack {
  /**
   * Binds the transports.
   * @throws SipError `bind-failed`
   */
  start(): Promise<void>;
  /**
   * Sends a request through a client transaction: the targets come from the resolver for the next
   * hop (the first Route if it has `lr`, else the Request-URI, RFC 3261 §8.1.2) unless `targets`
   * (or `target`) is given; they are tried in order (failover on a transport error, a 503 or a timeout).
   * @throws SipError `invalid-argument` for an ACK (use {@link Stack.sendAck})
   */
  send(request: SipRequest, options?: SendOptions): ClientTransactionHandle;
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
  onRequest(handler: (request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void): void;
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
  /** The transaction layer's counters (responses absorbed after the stack answered a CANCEL, 416s). */
  readonly stats: TransactionStats;
  readonly transport: TransportLayer;
  /** Ends every transaction, timer and socket; resolves when done. Idempotent. */
  stop(): Promise<void>;
}

/** RFC 3261 §8.1.2: the first Route if it is a loose router, else the Request-URI. */
export function nextHop(request: SipRequest): string {
  const route = request.headers.route?.[0];
  if (route !== undefined) {
    const uri = typeof route.uri === 'string' ? parseUri(route.uri) : route.uri;
    if (uri !== undefined && isSipUri(uri) && uri.params.lr !== undefined) return stringifyUri(uri);
  }
  return typeof request.uri === 'string' ? request.uri : stringifyUri(request.uri);
}

/**
 * The transports the default resolver may pick: those with a listener, plus TLS and WSS when
 * `tlsClient` is given (a client-only stack connects out over them with no listener).
 */
/**
 * The protocols a stack with these options can send on, for its resolver (RFC 3263 §4.1): the ones
 * it listens on, plus TLS and WSS when `tlsClient` is given.
 * @example transportsOf({ udp: { port: 5060 }, tcp: false, tlsClient: {} }) // ['UDP', 'TLS', 'WSS']
 */
export function transportsOf(options: StackOptions): ('UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS')[] {
  const out: ('UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS')[] = [];
  const client = options.tlsClient !== undefined;
  if (options.udp !== false) out.push('UDP');
  if (options.tcp !== false) out.push('TCP');
  if (options.tls !== undefined || client) out.push('TLS');
  if (options.ws !== undefined) out.push('WS');
  if (options.wss !== undefined || client) out.push('WSS');
  return out;
}

/**
 * Creates a stack instance; nothing is bound until `start()`.
 * @example
 * const stack = createStack({ udp: { port: 5060 }, tcp: false });
 * stack.onRequest((rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() })));
 * await stack.start();
 * const rs = await stack.send(options).final;
 * @see RFC 3261 §17
 */
export function createStack(options: StackOptions): Stack {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? createDefaultClock();
  const given = options.resolver;
  let resolve: (uri: string) => Promise<Target[]>;
  if (typeof given === 'function') {
    resolve = given;
  } else {
    const resolver = given ?? createResolver({ transports: transportsOf(options), logger });
    resolve = (uri) => resolver.resolve(uri);
  }
  let handler: ((request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void) | undefined;
  let stopped: Promise<void> | undefined;
  /** Requests waiting for their targets: each entry gives its request up (on stop). */
  const resolving = new Set<() => void>();

  const layer = createTransactionLayer({
    transport: {
      sendRequest: (rq, target) => transport.sendRequest(rq, target),
      sendResponse: (rs, remote) => transport.sendResponse(rs, remote),
    },
    clock,
    logger,
    ...(options.timers !== undefined ? { timers: options.timers } : {}),
    ...(options.trying100 !== undefined ? { trying100: options.trying100 } : {}),
    ...(options.cancel487 !== undefined ? { cancel487: options.cancel487 } : {}),
    ...(options.mergedRequests !== undefined ? { mergedRequests: options.mergedRequests } : {}),
    ...(options.uriSchemes !== undefined ? { uriSchemes: options.uriSchemes } : {}),
    ...(options.onStrayResponse !== undefined ? { onStrayResponse: options.onStrayResponse } : {}),
    ...(options.onAck !== undefined ? { onAck: options.onAck } : {}),
    onRequest(request, st, remote) {
      if (handler === undefined) {
        logger.warn('no request handler: answering 503', { method: request.method });
        void st.respond(makeResponse(request, 503, undefined, { toTag: generateTag() })).catch(() => undefined);
        return;
      }
      handler(request, st, remote);
    },
  });
  const handlers: TransportHandlers = { ...layer.handlers };
  if (options.onFlowClosed !== undefined) handlers.onFlowClosed = options.onFlowClosed;
  if (options.onFlowFailed !== undefined) handlers.onFlowFailed = options.onFlowFailed;
  if (options.onKeepAlive !== undefined) handlers.onKeepAlive = options.onKeepAlive;
  if (options.keepAlive !== undefined) {
    // RFC 5626 §4.4: an outbound registration's 2xx starts keep-alives on its flow, at Flow-Timer.
    const onResponse = layer.handlers.onResponse.bind(layer.handlers);
    handlers.onResponse = (rs, remote) => {
      onResponse(rs, remote);
      const reg = outboundRegistration(rs, remote);
      if (reg === undefined) return;
      const ka = transport.keepAlive(reg.target, reg.flowTimerSeconds !== undefined ? { flowTimerSeconds: reg.flowTimerSeconds } : {});
      logger.debug(ka !== undefined ? 'keep-alives on the registration flow' : 'no flow to keep alive', { flow: reg.target, flowTimer: reg.flowTimerSeconds });
    };
  }
  // Keep-alive timers run on the stack's clock (a fake one in tests) unless given their own.
  const transportOptions = options.keepAlive !== undefined ? { ...options, keepAlive: { clock, ...options.keepAlive } } : options;
  const transport = createTransportLayer(transportOptions, handlers);

  async function targetsFor(request: SipRequest, given: { target?: Target; targets?: readonly Target[] }): Promise<Target[]> {
    if (given.targets !== undefined) return given.targets.slice();
    if (given.target !== undefined) return [given.target];
    return resolve(nextHop(request));
  }

  function send(request: SipRequest, sendOptions: SendOptions = {}): ClientTransactionHandle {
    if (request.method === 'ACK') throw new SipError('invalid-argument', 'an ACK has no transaction: use sendAck');
    const { onResponse, signal } = sendOptions;
    let settle!: (rs: SipResponse) => void;
    const final = new Promise<SipResponse>((resolveFinal) => {
      settle = resolveFinal;
    });
    let finalSeen = false;
    const deliver = (rs: SipResponse): void => {
      const first = rs.status >= 200 && !finalSeen;
      if (rs.status >= 200) finalSeen = true;
      if (onResponse !== undefined) {
        try {
          onResponse(rs);
        } catch (e) {
          logger.error('onResponse threw', { error: e });
        }
      }
      if (first) settle(rs);
    };
    const giveUp = (status: 430 | 487 | 503, why: string, error?: unknown): void => {
      logger.debug(why, { method: request.method, error });
      deliver(synthesize(request, status));
    };
    if (stopped !== undefined) {
      giveUp(503, 'the stack is stopped');
      return { final };
    }
    if (signal?.aborted === true) {
      giveUp(487, 'aborted before sending');
      return { final };
    }
    const abandon = (): void => {
      giveUp(503, 'the stack stopped before the request was sent');
    };
    resolving.add(abandon);
    const sendTo = (targets: Target[]): void => {
      if (!resolving.delete(abandon)) return; // the stack stopped meanwhile
      if (signal?.aborted === true) {
        giveUp(487, 'aborted before sending');
        return;
      }
      if (targets.length === 0) {
        giveUp(503, `no target for ${nextHop(request)}`);
        return;
      }
      const onAbort = (): void => {
        tx.cancel();
      };
      let tx: OutgoingTransaction;
      try {
        tx = layer.sendRequest(request, targets, {
          onResponse: (rs) => {
            deliver(rs);
          },
          onTerminated: () => {
            signal?.removeEventListener('abort', onAbort);
            if (!finalSeen) deliver(synthesize(request, 503));
          },
        });
      } catch (e) {
        giveUp(isFlowFailed(e) ? 430 : 503, 'could not send', e);
        return;
      }
      if (tx.state !== 'terminated') signal?.addEventListener('abort', onAbort, { once: true });
    };
    targetsFor(request, sendOptions)
      .then(sendTo)
      .catch((e: unknown) => {
        if (!resolving.delete(abandon)) return;
        giveUp(503, 'could not resolve the next hop', e);
      });
    return { final };
  }

  return {
    start: () => transport.start(),
    send,
    async sendAck(ack, ackOptions = {}) {
      const targets = await targetsFor(ack, ackOptions);
      const first = targets[0];
      if (first === undefined) throw new SipError('send-failed', `no target for ${nextHop(ack)}`, { status: 503 });
      await layer.sendAck(ack, first);
    },
    onRequest(h) {
      handler = h;
    },
    async sendStateless(response, remote) {
      await layer.sendStateless(response, remote);
    },
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
