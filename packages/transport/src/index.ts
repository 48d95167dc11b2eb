/**
 * @sipts/transport: the neutral part (runs in browsers): transport types, the receive pipeline
 * rules of RFC 3261 §18 and RFC 3581, and the WebSocket client transport (RFC 7118).
 * Node transports (UDP, TCP, TLS, WS servers) and the RFC 3263 resolver: `@sipts/transport/node`.
 * @packageDocumentation
 */
export * from './types.js';
export { BRANCH_COOKIE, generateBranch, generateTag, RANDOM_POOL_BYTES } from './branch.js';
export { canonicalIp, checkMandatoryHeaders, ipv6Prefix64, isIpAddress, isIpv4, isIpv6, sameHost, stampReceived, unbracket } from './receive.js';
export { badRequestFor, badRequestTo } from './bad-request.js';
export { createReceiver, newTransportStats, type MessageSource, type Receive, type ReceiverContext } from './pipeline.js';
export {
  asSendError,
  promisePort,
  sendAwaitable,
  type PreparedResponse,
  type PromiseSender,
  type SendListener,
  type SendOutcome,
  type TransportPort,
} from './port.js';
export { FLOW_FAILED, flowFailed, isFlowFailed } from './flow-failed.js';
export { defaultPort, responseTarget, type ResponseTarget, type ResponseTargetOptions } from './response-target.js';
export {
  createKeepAlive,
  keepAliveIntervalMs,
  type FlowFailureReason,
  type KeepAlive,
  type KeepAliveClock,
  type KeepAliveOptions,
  type KeepAliveSettings,
  type KeepAliveTimer,
} from './keepalive.js';
export { flowRecoveryDelayMs, type FlowRecoveryOptions } from './flow-recovery.js';
export {
  crc32,
  decodeStun,
  decodeXorMappedAddress,
  encodeStun,
  encodeXorMappedAddress,
  isStunMessage,
  newStunTransactionId,
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
