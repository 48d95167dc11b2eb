/**
 * @sipts/transport: the neutral part (runs in browsers): transport types, the receive pipeline
 * rules of RFC 3261 §18 and RFC 3581, and the WebSocket client transport (RFC 7118).
 * Node transports (UDP, TCP, TLS, WS servers) and the RFC 3263 resolver: `@sipts/transport/node`.
 * @packageDocumentation
 */
export {
  DEFAULT_TRANSPORT_LIMITS,
  isReliable,
  silentLogger,
  type Logger,
  type Remote,
  type Target,
  type TraceHook,
  type TransportHandlers,
  type TransportLimits,
  type TransportProtocol,
  type TransportStats,
} from './types.js';
export { BRANCH_COOKIE, generateBranch, generateTag, hasMagicCookie } from './branch.js';
export { isIpv6, unbracket } from './receive.js';
export { asError } from './as-error.js';
export { createReceiver, newTransportStats, type MessageSource, type Receive, type ReceiverContext } from './pipeline.js';
export { safely, type CallSite, type NamedCallSite } from './safely.js';
export {
  asSendError,
  promisePort,
  sendAwaitable,
  SendWatch,
  type PreparedResponse,
  type PromiseSender,
  type SendListener,
  type SendOutcome,
  type TransportPort,
} from './port.js';
export { flowFailed, isFlowFailed } from './flow-failed.js';
export { defaultPort, responseTarget, type ResponseTarget, type ResponseTargetOptions } from './response-target.js';
export {
  createKeepAlive,
  type FlowFailureReason,
  type KeepAlive,
  type KeepAliveClock,
  type KeepAliveOptions,
  type KeepAliveSettings,
  type KeepAliveTimer,
} from './keepalive.js';
export { flowRecoveryDelayMs, type FlowRecoveryOptions } from './flow-recovery.js';
export {
  decodeStun,
  encodeStun,
  isStunMessage,
  STUN_ATTR,
  STUN_BINDING_ERROR,
  STUN_BINDING_REQUEST,
  STUN_BINDING_SUCCESS,
  STUN_MAGIC_COOKIE,
  stunAttribute,
  stunBindingRequest,
  stunBindingSuccess,
  stunMappedAddress,
  type EncodeStunOptions,
  type StunAddress,
  type StunAttribute,
  type StunMessage,
} from './stun.js';
export { createWsTransport, type WsTransport, type WsTransportOptions } from './ws-client.js';
export { createWsPort, stampWsVia, wsTarget } from './ws-port.js';
