/**
 * The stack on Node: the neutral `createStack` of `@sipts/transaction` with the Node transport
 * layer (UDP, TCP, TLS, WS), the RFC 3263 resolver, and RFC 5626 keep-alives started by an
 * outbound registration's 2xx.
 * @see RFC 3261 §17, RFC 3263 §4, RFC 5626 §4.4
 */
import type { SipUri } from '@sipts/message';
import type { FlowFailureReason, Remote, Target, TransportHandlers } from '@sipts/transport';
import { createResolver, createTransportLayer, type SipResolver, type TransportLayer, type TransportOptions } from '@sipts/transport/node';
import { outboundRegistration } from '../outbound-registration.js';
import { createStack as createCoreStack, type Stack as CoreStack, type StackCoreOptions } from '../stack.js';
import { createDefaultClock } from '../timer-heap.js';

export { nextHop, type SentRequest, type SendOptions } from '../stack.js';

/** A stack on the Node transport layer. */
export type Stack = CoreStack<TransportLayer>;

/**
 * Options of {@link createStack}: the transport's, plus the transaction layer's (the neutral
 * stack's options, documented there), with a resolver instead of `resolve`.
 */
export interface StackOptions
  extends TransportOptions,
    Pick<StackCoreOptions<TransportLayer>, 'timers' | 'clock' | 'trying100' | 'cancel487' | 'mergedRequests' | 'uriSchemes' | 'maxServerTransactions' | 'onStrayResponse' | 'onAck'> {
  /**
   * Resolves a next-hop URI to targets (RFC 3263). Default: `createResolver` on the system's DNS,
   * over the transports with a listener, and TLS and WSS too when `tlsClient` is given.
   */
  resolver?: SipResolver | ((uri: string) => Promise<Target[]>);
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
 * Creates a stack instance on Node transports; nothing is bound until `start()`.
 * @throws SipError `invalid-argument` when `maxServerTransactions` is not a whole number ≥ 0 or `Infinity`
 * @example
 * const stack = createStack({ udp: { port: 5060 }, tcp: false });
 * stack.setRequestHandler((rq, st) => void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() })));
 * await stack.start();
 * const rs = await stack.send(options).final;
 * @see RFC 3261 §17
 */
export function createStack(options: StackOptions): Stack {
  const clock = options.clock ?? createDefaultClock();
  const logger = options.logger;
  const given = options.resolver;
  let resolve: (uri: string) => Promise<Target[]>;
  let resolveNow: ((uri: string | SipUri) => Target[] | undefined) | undefined;
  if (typeof given === 'function') {
    resolve = given;
  } else {
    const resolver = given ?? createResolver({ transports: transportsOf(options), ...(logger !== undefined ? { logger } : {}) });
    resolve = (uri) => resolver.resolve(uri);
    // A numeric next hop needs no DNS: the request goes out before send() returns.
    if (resolver.resolveNow !== undefined) resolveNow = (uri) => resolver.resolveNow?.(uri);
  }
  // Keep-alive timers run on the stack's clock (a fake one in tests) unless given their own.
  const transportOptions = options.keepAlive !== undefined ? { ...options, keepAlive: { clock, ...options.keepAlive } } : options;
  const events: Omit<TransportHandlers, 'onRequest' | 'onResponse'> = {};
  if (options.onFlowClosed !== undefined) events.onFlowClosed = options.onFlowClosed;
  if (options.onFlowFailed !== undefined) events.onFlowFailed = options.onFlowFailed;
  if (options.onKeepAlive !== undefined) events.onKeepAlive = options.onKeepAlive;
  const core = { ...options, clock, resolve, ...(resolveNow !== undefined ? { resolveNow } : {}), transportEvents: events };
  return createCoreStack<TransportLayer>({
    ...core,
    transport(handlers) {
      if (options.keepAlive === undefined) return createTransportLayer(transportOptions, handlers);
      // RFC 5626 §4.4: an outbound registration's 2xx starts keep-alives on its flow, at Flow-Timer.
      const onResponse = handlers.onResponse.bind(handlers);
      const layer: TransportLayer = createTransportLayer(transportOptions, {
        ...handlers,
        onResponse(rs, remote) {
          onResponse(rs, remote);
          const reg = outboundRegistration(rs, remote);
          if (reg === undefined) return;
          const ka = layer.keepAlive(reg.target, reg.flowTimerSeconds !== undefined ? { flowTimerSeconds: reg.flowTimerSeconds } : {});
          logger?.debug(ka !== undefined ? 'keep-alives on the registration flow' : 'no flow to keep alive', { flow: reg.target, flowTimer: reg.flowTimerSeconds });
        },
      });
      return layer;
    },
  });
}
