/**
 * The transport layer's shared vocabulary (neutral: no Node built-ins). Node transports live in
 * `@sipts/transport/node`; the transaction layer and apps see only these types.
 * @see RFC 3261 §18, RFC 3263, RFC 3581, RFC 7118
 */
import type { ParseLimits, SipRequest, SipResponse } from '@sipts/message';
import type { FlowFailureReason } from './keepalive.js';

/** Transport protocols as written in Via (RFC 3261 §20.42, RFC 7118 §5.3: `WS`/`WSS`). */
export type TransportProtocol = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';

/** True for the connection-oriented (reliable) transports: no retransmissions over these (§17). */
export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'UDP';
}

/** Where a message came from: the peer's address and the local socket it arrived on. */
export interface Remote {
  protocol: TransportProtocol;
  /** The peer's IP address (IPv6 without brackets). */
  address: string;
  port: number;
  /** The local address and port the message arrived on (or was sent from). */
  local: { address: string; port: number };
  /**
   * For connection-oriented transports: the connection's flow id, to answer and to send
   * requests back over the same connection (RFC 5626 flows, RFC 7118 §5.2).
   */
  flowId?: string;
}

/** Where to send: one entry of an RFC 3263 target list, or a known flow. */
export interface Target {
  protocol: TransportProtocol;
  /** An IP address (IPv6 without brackets). */
  address: string;
  port: number;
  /** The host name the address was resolved from: TLS SNI and certificate name, WS Host header. */
  host?: string;
  /**
   * Send over this connection (set from `Remote.flowId`). A request whose flow is closing, or no
   * longer open, fails with `SipError` `flow-failed` (430, RFC 5626 §5.3): it never goes over
   * another or a new connection. (A response whose request's connection is gone is sent over a new
   * one, RFC 3261 §18.2.2: that is `sendResponse`, which takes no `Target`.)
   */
  flowId?: string;
  /** WebSocket resource path (RFC 7118), default `/`. */
  path?: string;
}

/** A leveled logger; console and pino fit. Libraries never print by themselves. */
export interface Logger {
  debug(msg: string, attrs?: Record<string, unknown>): void;
  info(msg: string, attrs?: Record<string, unknown>): void;
  warn(msg: string, attrs?: Record<string, unknown>): void;
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Raw traffic, before parsing and after serializing (as sipgo's tracer). */
export interface TraceHook {
  onReceive?(bytes: Uint8Array, remote: Remote): void;
  onSend?(bytes: Uint8Array, remote: Remote): void;
}

/** Limits against abuse. Every one has a safe default (see `DEFAULT_TRANSPORT_LIMITS`). */
export interface TransportLimits extends ParseLimits {
  /** Largest datagram accepted or sent over UDP, in bytes. Default 65,507. */
  maxDatagramBytes?: number;
  /** Open connections in total (TCP, TLS, WS, WSS together). Default 10,000. */
  maxConnections?: number;
  /** Open connections from one remote IP address. Default 100. */
  maxConnectionsPerAddress?: number;
  /** Open connections from one IPv6 /64 (all its addresses together). Default 100. */
  maxConnectionsPerIpv6Prefix?: number;
  /**
   * An inbound connection that has not delivered a valid SIP message (one that parses and has
   * the mandatory headers) this long after it opened is closed; after one, `idleTimeoutMs`
   * applies. Default 10 s.
   */
  firstMessageTimeoutMs?: number;
  /** A connection must complete a message this long after its first byte (slowloris). Default 10 s. */
  messageDeadlineMs?: number;
  /** A connection idle this long (no bytes either way, no transaction using it) is closed. Default 120 s. */
  idleTimeoutMs?: number;
  /** Malformed messages on one connection before it is closed. Default 10. */
  maxMalformedPerConnection?: number;
  /** Bytes waiting to be written on one connection before sends fail with 503. Default 1 MiB. */
  maxPendingWriteBytes?: number;
}

/** The defaults of {@link TransportLimits}. */
export const DEFAULT_TRANSPORT_LIMITS: Required<TransportLimits> = {
  maxHeaderBytes: 65_536,
  maxHeaderCount: 256,
  maxBodyBytes: 1024 * 1024,
  maxDatagramBytes: 65_507,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 100,
  maxConnectionsPerIpv6Prefix: 100,
  firstMessageTimeoutMs: 10_000,
  messageDeadlineMs: 10_000,
  idleTimeoutMs: 120_000,
  maxMalformedPerConnection: 10,
  maxPendingWriteBytes: 1024 * 1024,
};

/** Counters every transport keeps; read them for metrics. */
export interface TransportStats {
  requestsReceived: number;
  responsesReceived: number;
  /** Requests that failed parsing or the mandatory-header check and were answered 400. */
  badRequestsAnswered: number;
  /** Garbage, bad responses and bad requests that could not be answered, dropped. */
  dropped: number;
  /** Keep-alives answered: CRLF pongs to pings, and STUN Binding requests on the UDP port. */
  keepAlivesAnswered: number;
  /** STUN Binding requests answered on the UDP port (RFC 5626 §8); also in `keepAlivesAnswered`. */
  stunRequestsAnswered: number;
  /** Keep-alives this layer sent on its own flows (CRLF pings, STUN requests and their retransmissions). */
  keepAlivesSent: number;
  /** STUN responses that answered our keep-alives. */
  stunResponsesReceived: number;
  messagesSent: number;
  sendErrors: number;
  connectionsOpened: number;
  connectionsClosed: number;
  /** Connections refused or closed by a limit. */
  connectionsRejected: number;
  /** Inbound connections closed for sending no valid message within `firstMessageTimeoutMs` (also in `connectionsRejected`). */
  silentConnectionsClosed: number;
}

/** What the layer above gives the transport. Nothing thrown by a handler escapes a socket callback. */
export interface TransportHandlers {
  onRequest(request: SipRequest, remote: Remote): void;
  onResponse(response: SipResponse, remote: Remote): void;
  /** A connection (flow) closed: a registrar drops the bindings that used it (RFC 5626). */
  onFlowClosed?(flowId: string, remote: Remote): void;
  /**
   * A flow with keep-alives failed (RFC 5626 §4.4: no pong, no STUN answer, the mapped address
   * changed, or its connection closed): a user agent registers again (§4.2, backoff §4.5). Called
   * once per failure; the connection, if any, is closed.
   */
  onFlowFailed?(remote: Remote, reason: FlowFailureReason): void;
  /** A peer's keep-alive was answered: a CRLF ping on a connection, or a STUN request on UDP. */
  onKeepAlive?(remote: Remote, kind: 'crlf' | 'stun'): void;
}
