/**
 * @sipts/transport/node: UDP, TCP, TLS and WebSocket transports for Node, and the RFC 3263 resolver.
 * @packageDocumentation
 */
export type { Connection, ConnectionEvents } from './connection.js';
export { connectWs, listenWs, type WsConnectOptions, type WsListener, type WsListenOptions } from './ws.js';
export { createTransportLayer } from './transport-layer.js';
export type { Listening, ListenOptions, TlsOptions, TransportLayer, TransportOptions, UdpListenOptions, WsOptions, WssOptions } from './transport-options.js';
export type { Pem, TlsClientOptions, TlsServerOptions } from './tls.js';
export { createResolver, type ResolverOptions, type SipResolver } from './resolver.js';
export { orderSrvRecords, type SrvLike } from './srv-order.js';
export { createFlowTokenCodec, type FlowTokenCodec, type FlowTokenFlow } from './flow-token.js';
export { isWildcard } from './sent-by.js';
