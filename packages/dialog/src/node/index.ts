/**
 * @sipts/dialog/node: a user agent on Node sockets (UDP, TCP, TLS, WS) with the RFC 3263 resolver.
 * @packageDocumentation
 */
export { createNodeUserAgent, type NodeUserAgent, type NodeUserAgentOptions } from './node-user-agent.js';
