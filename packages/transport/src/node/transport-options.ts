/**
 * The options and the interface of the transport layer (`createTransportLayer`).
 * @see RFC 3261 §18, RFC 3581, RFC 7118
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import type { KeepAlive, KeepAliveSettings } from '../keepalive.js';
import type { TransportPort } from '../port.js';
import type { Logger, Remote, Target, TraceHook, TransportLimits, TransportProtocol, TransportStats } from '../types.js';
import type { Pem, TlsClientOptions } from './tls.js';

/** A UDP or TCP listener's options. */
export interface ListenOptions {
  /** Default 5060; 0 picks an ephemeral port. */
  port?: number;
  /** Default: the layer's `address`. */
  address?: string;
}

/** The UDP listener's options. */
export interface UdpListenOptions extends ListenOptions {
  /**
   * SO_RCVBUF in bytes (the kernel caps it at net.core.rmem_max). A busy server wants more than
   * the default (about 200 KiB, some 150 datagrams): a pause of a few milliseconds (a GC) then
   * overflows it and every lost request costs its sender a 500 ms retransmission. Default: the system's.
   */
  receiveBufferBytes?: number;
  /** SO_SNDBUF in bytes (capped at net.core.wmem_max). Default: the system's. */
  sendBufferBytes?: number;
}

/** The TLS listener (server side) and, for compatibility, the TLS client options. */
export interface TlsOptions extends ListenOptions {
  key: Pem;
  cert: Pem;
  ca?: Pem | Pem[];
  /** Ask clients for a certificate (mutual TLS). */
  requestCert?: boolean;
  /**
   * Options for the connections we open (TLS and WSS): verification is on unless switched off.
   * Kept for compatibility: prefer the top-level {@link TransportOptions.tlsClient}, which needs
   * no listener; when both are given, `tlsClient` is used and this is ignored.
   */
  client?: TlsClientOptions;
}

/** A WebSocket listener's options (RFC 7118). */
export interface WsOptions extends ListenOptions {
  /** The resource path clients must request. Default `/`. */
  path?: string;
  /**
   * Decides on the opening handshake's `Origin` header (RFC 6455 §4.2.1, §10.2): a browser
   * sends the origin of the page whose script opens the socket (`https://phone.example.com`);
   * other clients usually send none (`undefined`). Returning false refuses the handshake with
   * 403, so a page from another site cannot use a visitor's browser to reach the server.
   * Called with the value as sent (compare case-insensitively). Default: every origin allowed.
   * @example ws: { port: 8088, allowOrigin: (o) => o === undefined || o === 'https://phone.example.com' }
   */
  allowOrigin?: (origin: string | undefined) => boolean;
}

/** A secure WebSocket listener's options. */
export interface WssOptions extends WsOptions {
  key: Pem;
  cert: Pem;
  ca?: Pem | Pem[];
}

/** A listening socket of a transport layer, as bound. */
export interface Listening {
  readonly protocol: TransportProtocol;
  readonly address: string;
  readonly port: number;
}

/** Options of `createTransportLayer`. */
export interface TransportOptions {
  /** Listen address for all protocols, default `0.0.0.0` (`::` = IPv6 and IPv4). */
  address?: string;
  /** Written in Via sent-by (then `hostname`, then the bound address). */
  publicAddress?: string;
  hostname?: string;
  /** Default on, port 5060. */
  udp?: false | UdpListenOptions;
  /** Default on, port 5060. */
  tcp?: false | ListenOptions;
  /** The TLS listener: off unless given; default port 5061. */
  tls?: TlsOptions;
  /**
   * Options for the connections this layer opens over TLS and WSS (CAs, client certificate,
   * `rejectUnauthorized`); no listener is needed, so a user agent that only connects out gives
   * this and no `tls`. The server's certificate is verified (against `ca`, default the system's
   * CAs) unless `rejectUnauthorized` is false, and SNI names `Target.host` (RFC 3261 §26.2.1,
   * RFC 6066 §3). Takes precedence over `tls.client` as a whole: when both are given, `tls.client`
   * is ignored (not merged, so a setting such as `rejectUnauthorized: false` cannot carry over
   * unseen) and a warning is logged. Default: `tls.client`, else `{}` (the system's CAs).
   * @example createTransportLayer({ udp: false, tcp: false, tlsClient: { ca: caPem } }, handlers)
   */
  tlsClient?: TlsClientOptions;
  /** Off unless given; default port 80. */
  ws?: WsOptions;
  /** Off unless given; default port 443. */
  wss?: WssOptions;
  /** `;rport` on outgoing UDP requests (RFC 3581). Default true. */
  rport?: boolean;
  /** Answer UDP requests to the packet's source instead of by §18.2.2. Default false. */
  symmetricResponses?: boolean;
  /** Give up on opening a connection (TCP connect plus TLS/WS handshake) after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * RFC 5626 client keep-alives. When given, every connection this layer opens (TCP, TLS, WS, WSS)
   * gets CRLFCRLF pings with the pong awaited (§4.4.1), unless `connections` is false; UDP flows
   * and Flow-Timer come from {@link TransportLayer.keepAlive} (`createStack` calls it for an
   * outbound registration). A failed flow is reported through `onFlowFailed`. Default: off.
   */
  keepAlive?: KeepAliveSettings & { connections?: boolean };
  limits?: TransportLimits;
  logger?: Logger;
  trace?: TraceHook;
  /** Resolves a sent-by host name for a response (RFC 3263 §5). Default: node:dns lookup (hosts file included). */
  resolveHost?: (host: string, port: number, protocol: TransportProtocol) => Promise<Target[]>;
}

/** The transport layer: start it, send through it, stop it. */
export interface TransportLayer {
  /**
   * Binds every configured transport.
   * @throws SipError `bind-failed` naming the protocol, address and port; what was opened is closed
   */
  start(): Promise<void>;
  /** What is listening, with the ports actually bound (one frozen list until the listeners change). */
  readonly listening: readonly Listening[];
  readonly stats: TransportStats;
  /**
   * Sends a request; stamps its top Via (in place) for the transport actually used.
   * @returns where it went
   * @throws SipError `send-failed` or `connect-failed` (status 503); `flow-failed` (status 430,
   *   RFC 5626 §5.3) when `target.flowId` names a connection that is closing or closed
   */
  sendRequest(request: SipRequest, target: Target): Promise<Remote>;
  /**
   * Sends a response where RFC 3261 §18.2.2 says (`remote`: where the request came from).
   * @throws SipError (status 503) when it cannot be sent
   */
  sendResponse(response: SipResponse, remote?: Remote): Promise<Remote>;
  /**
   * The same sends for a transaction layer, without a Promise per message: a UDP send within the
   * MTU rule goes out before the call returns (`'sent'`, or its SipError); the rest is `'pending'`
   * and reports to its listener. Counted in `stats` like the Promise-returning methods.
   * @see TransportPort
   */
  readonly port: TransportPort;
  /**
   * Starts RFC 5626 keep-alives on a flow, or gives an existing one a new Flow-Timer: CRLF pings on
   * a connection (`target.flowId`, or the open connection to the target's endpoint; none is
   * opened), STUN Binding requests from our UDP socket on UDP. Failures go to `onFlowFailed`.
   * @returns the flow's keep-alive, or undefined when there is no such connection, no UDP socket
   *   for the address, or too many flows
   * @see RFC 5626 §4.4
   */
  keepAlive(target: Target, options?: { flowTimerSeconds?: number }): KeepAlive | undefined;
  /** True while the connection with this flow id (`Remote.flowId`) is open (RFC 5626 §5.3: else 430). */
  hasFlow(flowId: string): boolean;
  /** Closes every socket, server and connection; resolves when all are closed. Idempotent. */
  stop(): Promise<void>;
}
