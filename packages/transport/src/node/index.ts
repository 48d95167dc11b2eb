/**
 * @sipts/transport/node: UDP, TCP, TLS and WebSocket transports for Node, and the RFC 3263 resolver.
 * @packageDocumentation
 */
export type { Connection, ConnectionEvents } from './connection.js';
