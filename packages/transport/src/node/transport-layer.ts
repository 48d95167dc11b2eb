/**
 * The transport layer of one stack instance: UDP, TCP, TLS, WS and WSS under one object, with the
 * receive pipeline (framing, parsing, 400 for bad requests, `received`/`rport`), response routing
 * (RFC 3261 §18.2.2, RFC 3581) and request sending (§18.1.1: Via stamping, the 1300-byte rule,
 * connection reuse). No module state: several layers in one process work side by side.
 * @see RFC 3261 §18, RFC 3581, RFC 5626 §4.4.1, RFC 7118
 */
import { lookup } from 'node:dns/promises';
import { serializeMessage, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { asError } from '../as-error.js';
import { flowFailed } from '../flow-failed.js';
import { isStunMessage } from '../stun.js';
import { canonicalIp, isIpv6 } from '../receive.js';
import { responseTarget } from '../response-target.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  isReliable,
  silentLogger,
  type Remote,
  type Target,
  type TransportHandlers,
  type TransportLimits,
  type TransportProtocol,
} from '../types.js';
import type { Connection, ConnectionEvents } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import { createFirstMessageWatch } from './first-message.js';
import { createFlowKeepAlives, crlfKeepAlive } from './flow-keepalives.js';
import { createReceiver, newTransportStats, type MessageSource } from '../pipeline.js';
import { safely as safelyCall } from '../safely.js';
import { asSendError, type PreparedResponse } from '../port.js';
import { createLayerPort, targetText, UDP_MTU_LIMIT, type Prepared } from './layer-port.js';
import { forcesUdp, hasRport, hostFacing, isWildcard, localAddresses, stampVia, type LocalAddresses } from './sent-by.js';
import { connectTcp, errorCode, listenTcp, type StreamListener } from './tcp.js';
import { connectTls, listenTls, tlsClientSecureOptions, type TlsClientOptions } from './tls.js';
import type { Listening, TransportLayer, TransportOptions } from './transport-options.js';
import { listenUdp, type UdpEndpoint } from './udp.js';
import { createUdpStunHandler } from './udp-stun.js';
import { connectWs, listenWs, type WsListener } from './ws.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const PONG = new Uint8Array([0x0d, 0x0a]);

async function defaultResolveHost(host: string, port: number, protocol: TransportProtocol): Promise<Target[]> {
  const addresses = await lookup(host, { all: true, verbatim: true });
  return addresses.map((a) => ({ protocol, address: a.address, port, host }));
}

/**
 * Creates the transport layer of one stack instance; nothing is bound until `start()`.
 * @example
 * const transport = createTransportLayer({ udp: { port: 5060 }, tcp: { port: 5060 } }, {
 *   onRequest: (rq, remote) => void transport.sendResponse(makeResponse(rq, 200), remote),
 *   onResponse: () => undefined,
 * });
 * await transport.start();
 * @see RFC 3261 §18
 */
export function createTransportLayer(options: TransportOptions, handlers: TransportHandlers): TransportLayer {
  const limits: Required<TransportLimits> = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const trace = options.trace;
  const resolveHost = options.resolveHost ?? defaultResolveHost;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const baseAddress = options.address ?? '0.0.0.0';
  const stats = newTransportStats();
  const pool = new ConnectionPool(limits);
  const udp: UdpEndpoint[] = [];
  const streams: StreamListener[] = [];
  const wsListeners: WsListener[] = [];
  /** {@link TransportLayer.listening}, built when the listeners change. */
  let listening: readonly Listening[] | undefined;
  const connecting = new Map<string, Promise<Connection>>();
  const abort = new AbortController();
  let locals: LocalAddresses = { v4: undefined, v6: undefined };
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  function safely(what: string, fn: () => void): void {
    safelyCall(logger, what, fn);
  }

  function traceSend(bytes: Uint8Array, remote: Remote): void {
    if (trace?.onSend !== undefined) safely('trace.onSend', () => trace.onSend?.(bytes, remote));
  }

  // ---- receive pipeline ------------------------------------------------------------------------

  // Inbound connections that have not yet delivered a valid message: a peer cannot hold a
  // connection for the long idle limit without speaking SIP.
  const firstMessage = createFirstMessageWatch({ limits, stats, logger });

  /** A connection as the receive pipeline sees it: made once per connection. */
  interface ConnectionSource extends MessageSource {
    readonly conn: Connection;
  }
  const sources = new WeakMap<Connection, ConnectionSource>();
  function sourceOf(conn: Connection): ConnectionSource {
    let source = sources.get(conn);
    if (source === undefined) {
      source = {
        conn,
        framing: conn.protocol === 'TCP' || conn.protocol === 'TLS' ? 'stream' : 'datagram',
        reply: (bytes) => conn.write(bytes),
        close: () => {
          conn.close();
        },
      };
      sources.set(conn, source);
    }
    return source;
  }

  const receive = createReceiver<MessageSource>({
    limits,
    logger,
    trace,
    stats,
    handlers,
    onValidMessage: (source) => {
      if ('conn' in source) firstMessage.heard((source as ConnectionSource).conn);
    },
  });

  // ---- keep-alives (RFC 5626 §4.4 client side, §8 server side) --------------------------------

  const keepAlives = createFlowKeepAlives({
    settings: options.keepAlive ?? {},
    logger,
    stats,
    maxFlows: limits.maxConnections,
    onFlowFailed(remote, reason) {
      handlers.onFlowFailed?.(remote, reason);
    },
  });
  const keepConnectionsAlive = options.keepAlive !== undefined && options.keepAlive.connections !== false;

  /** A peer's keep-alive was answered (a CRLF ping on a connection, or STUN on UDP). */
  function peerKeepAlive(remote: Remote, kind: 'crlf' | 'stun'): void {
    if (kind === 'crlf') stats.keepAlivesAnswered++;
    if (handlers.onKeepAlive !== undefined) safely('onKeepAlive', () => handlers.onKeepAlive?.(remote, kind));
  }

  /** The CRLF events of a TCP/TLS connection: a ping we answered, or a pong to ours. */
  function onStreamKeepAlive(conn: Connection, kind: 'ping' | 'pong' = 'ping'): void {
    if (kind === 'pong') keepAlives.pong(conn.remote.flowId ?? '');
    else peerKeepAlive(conn.remote, 'crlf');
  }

  const stunOnUdp = createUdpStunHandler({
    stats,
    logger,
    onResponse: (message, remote) => keepAlives.stun(message, remote),
    onAnswered: (remote) => {
      peerKeepAlive(remote, 'stun');
    },
  });

  /** The receive side of one UDP socket: one source object for all its datagrams. */
  function udpReceiver(endpoint: UdpEndpoint): (bytes: Uint8Array, remote: Remote) => void {
    const source: MessageSource = {
      framing: 'datagram',
      reply: (bytes, to) => {
        endpoint.reply(bytes, to.address, to.port);
      },
    };
    const reply = (rs: Uint8Array, to: Remote): Promise<void> => {
      try {
        endpoint.reply(rs, to.address, to.port);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(asError(e, 'send-failed'));
      }
    };
    return (bytes, remote) => {
      if (isStunMessage(bytes)) {
        stunOnUdp(bytes, remote, (rs) => reply(rs, remote));
      } else {
        receive(bytes, remote, source);
      }
    };
  }

  const connectionEvents: ConnectionEvents = {
    onFrame(conn, frame) {
      if (conn.protocol === 'WS' || conn.protocol === 'WSS') {
        const crlf = crlfKeepAlive(frame);
        if (crlf === 'ping') {
          conn.write(PONG).catch(() => undefined);
          peerKeepAlive(conn.remote, 'crlf');
          return;
        }
        if (crlf === 'pong') {
          keepAlives.pong(conn.remote.flowId ?? '');
          return;
        }
      }
      receive(frame, conn.remote, sourceOf(conn));
    },
    onFramingError(conn, error) {
      stats.dropped++;
      stats.connectionsRejected++;
      logger.info('closing a connection after a framing error or limit', { flowId: conn.remote.flowId, error: error.message });
    },
    onClose(conn, error) {
      firstMessage.heard(conn);
      if (!pool.remove(conn)) return;
      stats.connectionsClosed++;
      logger.debug('connection closed', { flowId: conn.remote.flowId, error: error?.message });
      const flowId = conn.remote.flowId;
      if (flowId !== undefined) {
        keepAlives.closed(flowId);
        safely('onFlowClosed', () => handlers.onFlowClosed?.(flowId, conn.remote));
      }
    },
  };

  const listenerEvents = {
    ...connectionEvents,
    onOpen(conn: Connection): boolean {
      if (stopped !== undefined || !pool.add(conn)) {
        stats.connectionsRejected++;
        return false;
      }
      stats.connectionsOpened++;
      firstMessage.watch(conn);
      return true;
    },
  };

  function admit(address: string): boolean {
    if (stopped === undefined && pool.admit(address)) return true;
    stats.connectionsRejected++;
    logger.debug('connection refused by a limit', { from: address });
    return false;
  }

  // ---- connections -----------------------------------------------------------------------------

  // `tlsClient` wins over `tls.client` as a whole (no merge): see TransportOptions.tlsClient.
  const tlsClient: TlsClientOptions = options.tlsClient ?? options.tls?.client ?? {};
  if (options.tlsClient !== undefined && options.tls?.client !== undefined) {
    logger.warn('both tlsClient and tls.client are given: tls.client is ignored');
  }

  function open(target: Target): Promise<Connection> {
    const base = { connectTimeoutMs, limits, logger, signal: abort.signal, onKeepAlive: onStreamKeepAlive };
    switch (target.protocol) {
      case 'TCP':
        return connectTcp(target, base, connectionEvents);
      case 'TLS':
        return connectTls(target, tlsClient, base, connectionEvents);
      case 'WS':
      case 'WSS': {
        const tls = target.protocol === 'WSS' ? { tls: tlsClientSecureOptions(tlsClient) } : {};
        return connectWs(target, { ...tls, limits, logger, connectTimeoutMs }, connectionEvents);
      }
      case 'UDP':
        return Promise.reject(new SipError('invalid-argument', 'UDP has no connections'));
    }
  }

  /**
   * An open connection for `target`: its flow when it names one, else one to the same endpoint,
   * or a new one. A target whose flow is no longer in the pool is `flow-failed` (430): a request
   * that must use a failed flow is never sent over another connection (RFC 5626 §5.3). Responses
   * never get here with a flow id: their fallback to a new connection is in `sendResponseNow`.
   */
  function connectionFor(target: Target, reuse = true): Promise<Connection> {
    if (stopped !== undefined) return Promise.reject(new SipError('send-failed', 'the transport layer is stopped', { status: 503 }));
    if (target.flowId !== undefined) {
      const flow = pool.byFlow(target.flowId);
      return flow !== undefined ? Promise.resolve(flow) : Promise.reject(flowFailed(target.flowId));
    }
    const existing = reuse ? pool.find(target.protocol, target.address, target.port) : undefined;
    if (existing !== undefined) return Promise.resolve(existing);
    const key = `${target.protocol}/${canonicalIp(target.address)}/${String(target.port)}`;
    const pending = connecting.get(key);
    if (pending !== undefined) return pending;
    if (!pool.admit(target.address, false)) {
      stats.connectionsRejected++;
      return Promise.reject(new SipError('connect-failed', `no connection to ${key}: the connection limit (${String(limits.maxConnections)}) is reached`, { status: 503 }));
    }
    const p = open(target).then((conn) => {
      if (stopped !== undefined || !pool.add(conn)) {
        conn.close();
        throw new SipError('connect-failed', `connection to ${key} closed: the transport is stopping or full`, { status: 503 });
      }
      stats.connectionsOpened++;
      if (keepConnectionsAlive) keepAlives.onConnection(conn);
      return conn;
    });
    connecting.set(key, p);
    const forget = (): void => {
      connecting.delete(key);
    };
    p.then(forget, forget);
    return p;
  }

  function keepAlive(target: Target, ka: { flowTimerSeconds?: number } = {}): ReturnType<typeof keepAlives.onConnection> {
    if (stopped !== undefined) return undefined;
    const address = canonicalIp(target.address);
    if (target.protocol !== 'UDP') {
      const conn = target.flowId !== undefined ? pool.byFlow(target.flowId) : pool.find(target.protocol, address, target.port);
      return conn === undefined ? undefined : keepAlives.onConnection(conn, ka.flowTimerSeconds);
    }
    const endpoint = udpEndpointFor(address);
    if (endpoint === undefined) return undefined;
    const remote: Remote = { protocol: 'UDP', address, port: target.port, local: { address: endpoint.address, port: endpoint.port } };
    const send = (b: Uint8Array): Promise<void> => {
      try {
        endpoint.send(b, address, target.port);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(asError(e, 'send-failed'));
      }
    };
    return keepAlives.onUdp({ remote, send }, ka.flowTimerSeconds);
  }

  // ---- sending ---------------------------------------------------------------------------------

  function listenerPort(protocol: TransportProtocol): { address: string; port: number } | undefined {
    switch (protocol) {
      case 'UDP':
        return udp[0];
      case 'TCP':
      case 'TLS':
        return streams.find((l) => l.protocol === protocol);
      case 'WS':
      case 'WSS':
        return wsListeners.find((l) => l.protocol === protocol);
    }
  }

  /** Sent-by values worked out once per transport, local address and kind of target. */
  const sentByCache = new Map<string, { host: string; port: number }>();
  /** The last answer of {@link sentBy}: a run of sends leaves from one socket towards one kind of address, so it is usually the same (no key string built). */
  let lastSentBy: { protocol: TransportProtocol; address: string; port: number; kind: string; value: { host: string; port: number } } | undefined;

  /** The sent-by host and port for a request over `protocol` to `to`, from `local` if nothing listens. */
  function sentBy(protocol: TransportProtocol, to: string, local: { address: string; port: number }): { host: string; port: number } {
    // hostFacing depends on the target only through its family and whether it is loopback.
    const v6 = to.includes(':');
    const kind = v6 ? (to === '::1' ? 'l6' : '6') : to.startsWith('127.') ? 'l4' : '4';
    const last = lastSentBy;
    if (last !== undefined && last.protocol === protocol && last.address === local.address && last.port === local.port && last.kind === kind) return last.value;
    const key = protocol + ' ' + local.address + ' ' + String(local.port) + ' ' + kind;
    let value = sentByCache.get(key);
    if (value === undefined) {
      value = computeSentBy(protocol, to, local);
      if (sentByCache.size < 256) sentByCache.set(key, value);
    }
    lastSentBy = { protocol, address: local.address, port: local.port, kind, value };
    return value;
  }

  function computeSentBy(protocol: TransportProtocol, to: string, local: { address: string; port: number }): { host: string; port: number } {
    const listener = listenerPort(protocol);
    const port = listener?.port ?? local.port;
    let host: string;
    if (options.publicAddress !== undefined) host = options.publicAddress;
    else if (options.hostname !== undefined) host = options.hostname;
    else {
      // A listener bound to one address names it; otherwise a connection names its own local
      // address, and a wildcard UDP socket an address of ours facing the target.
      let bound = local.address;
      if (listener !== undefined && (protocol === 'UDP' || !isWildcard(listener.address))) bound = listener.address;
      host = hostFacing(bound, to, locals);
    }
    return { host: isIpv6(host) && !host.startsWith('[') ? `[${host}]` : host, port };
  }

  function udpEndpointFor(address: string, preferPort?: number): UdpEndpoint | undefined {
    let first: UdpEndpoint | undefined;
    for (const e of udp) {
      if (!e.canReach(address)) continue;
      if (e.port === preferPort) return e;
      first ??= e;
    }
    return first;
  }

  /**
   * Sends a datagram now, from the socket that can reach `address`; with `reply`, without a
   * report from the OS (`UdpEndpoint.reply`, for responses). @throws SipError `send-failed` (503)
   */
  function sendUdp(bytes: Uint8Array, address: string, port: number, preferPort?: number, reply = false): Remote {
    const endpoint = udpEndpointFor(address, preferPort);
    if (endpoint === undefined) {
      throw new SipError('send-failed', udp.length === 0 ? 'UDP is not enabled' : `no UDP socket can reach ${address} (address family)`, { status: 503 });
    }
    if (reply) endpoint.reply(bytes, address, port);
    else endpoint.send(bytes, address, port);
    return { protocol: 'UDP', address, port, local: { address: endpoint.address, port: endpoint.port } };
  }

  async function sendOver(conn: Connection, bytes: Uint8Array): Promise<Remote> {
    await conn.write(bytes);
    return conn.remote;
  }

  /**
   * Writes `bytes(conn)` over a connection for `target`. A pooled connection that turns out to be
   * dead (the peer closed it and we have not seen the close yet) is replaced once by a new one,
   * unless the target names a flow (RFC 5626: a flow that is gone must not be replaced): the
   * target's own flow closing or closed is a `flow-failed` error (430, RFC 5626 §5.3).
   */
  async function sendStream(target: Target, bytes: (conn: Connection) => Uint8Array): Promise<{ remote: Remote; sent: Uint8Array }> {
    const opened = stats.connectionsOpened;
    const conn = await connectionFor(target);
    const sent = bytes(conn);
    try {
      return { remote: await sendOver(conn, sent), sent };
    } catch (e) {
      if (target.flowId !== undefined && conn.remote.flowId === target.flowId && !conn.open) throw flowFailed(target.flowId, e);
      const reused = stats.connectionsOpened === opened;
      if (!reused || target.flowId !== undefined || stopped !== undefined) throw e;
      logger.debug('a pooled connection failed: opening a new one', { flowId: conn.remote.flowId, error: e });
      conn.close();
      const fresh = await connectionFor(target, false);
      const again = bytes(fresh);
      return { remote: await sendOver(fresh, again), sent: again };
    }
  }

  function tcpListening(): boolean {
    return options.tcp !== false && streams.some((l) => l.protocol === 'TCP');
  }

  function stampAndSerialize(request: SipRequest, protocol: TransportProtocol, to: string, local: { address: string; port: number }, hadRport: boolean): Uint8Array {
    const { host, port } = sentBy(protocol, to, local);
    stampVia(request, { protocol, host, port, rport: protocol === 'UDP' && options.rport !== false, hadRport });
    return serializeMessage(request);
  }

  async function sendRequestNow(request: SipRequest, given: Target): Promise<Remote> {
    const target: Target = { ...given, address: canonicalIp(given.address) }; // `[::1]` works too
    const hadRport = hasRport(request);
    if (target.protocol === 'UDP') {
      const endpoint = udpEndpointFor(target.address);
      const local = endpoint ?? { address: baseAddress, port: 0 };
      const bytes = stampAndSerialize(request, 'UDP', target.address, local, hadRport);
      if (bytes.length > UDP_MTU_LIMIT && tcpListening() && !forcesUdp(request)) {
        try {
          const tcpTarget: Target = { protocol: 'TCP', address: target.address, port: target.port };
          if (target.host !== undefined) tcpTarget.host = target.host;
          const { remote, sent } = await sendStream(tcpTarget, (conn) => stampAndSerialize(request, 'TCP', target.address, conn.remote.local, hadRport));
          traceSend(sent, remote);
          return remote;
        } catch (e) {
          if (!(e instanceof SipError && e.code === 'connect-failed')) throw e;
          logger.debug('TCP refused for a large request: falling back to UDP (RFC 3261 §18.1.1)', { error: e.message });
          const again = stampAndSerialize(request, 'UDP', target.address, local, hadRport);
          const remote = sendUdp(again, target.address, target.port);
          traceSend(again, remote);
          return remote;
        }
      }
      const remote = sendUdp(bytes, target.address, target.port);
      traceSend(bytes, remote);
      return remote;
    }
    const { remote, sent } = await sendStream(target, (conn) => stampAndSerialize(request, conn.protocol, target.address, conn.remote.local, hadRport));
    traceSend(sent, remote);
    return remote;
  }

  function prepareResponse(response: SipResponse, remote?: Remote): Prepared {
    const to = responseTarget(response, remote, { symmetric: options.symmetricResponses === true });
    return { bytes: serializeMessage(response), to, status: response.status, localPort: remote?.protocol === 'UDP' ? remote.local.port : undefined };
  }

  async function sendPreparedNow(prepared: PreparedResponse): Promise<Remote> {
    const { bytes, to: t } = prepared;
    const localPort = (prepared as Partial<Prepared>).localPort;
    if (isReliable(t.protocol) && t.flowId !== undefined) {
      const conn = pool.byFlow(t.flowId);
      if (conn !== undefined) {
        try {
          const r = await sendOver(conn, bytes);
          traceSend(bytes, r);
          return r;
        } catch (e) {
          // §18.2.2: if the connection failed, open one to received (or sent-by) and the sent-by port.
          logger.debug('the request’s connection failed: sending the response over a new one', { flowId: t.flowId, error: e });
        }
      }
    }
    let targets: Target[];
    if (t.host !== undefined) {
      try {
        targets = await resolveHost(t.host, t.port, t.protocol);
      } catch (e) {
        throw new SipError('send-failed', `cannot resolve ${t.host} to send a response: ${errorCode(e)}`, { status: 503, cause: e });
      }
      if (targets.length === 0) throw new SipError('send-failed', `${t.host} resolves to no address`, { status: 503 });
    } else {
      targets = [{ protocol: t.protocol, address: t.address, port: t.port }];
    }
    let last: unknown;
    for (const target of targets) {
      try {
        const r = isReliable(target.protocol)
          ? (await sendStream({ protocol: target.protocol, address: target.address, port: target.port, ...(target.host !== undefined ? { host: target.host } : {}) }, () => bytes)).remote
          : sendUdp(bytes, target.address, target.port, localPort);
        traceSend(bytes, r);
        return r;
      } catch (e) {
        last = e;
        logger.debug('could not send a response to a target, trying the next', { address: target.address, port: target.port, error: e });
      }
    }
    throw last;
  }

  const port = createLayerPort({
    stats,
    trace,
    traceSend,
    stopped: () => stopped !== undefined,
    udpEnabled: () => udp.length > 0,
    udpEndpointFor,
    sendUdp,
    stampAndSerialize,
    tcpListening,
    sendRequestNow,
    sendPreparedNow,
    prepareResponse,
  });

  // ---- life cycle ------------------------------------------------------------------------------

  async function closeAll(): Promise<void> {
    abort.abort();
    keepAlives.stopAll();
    const closing: Promise<unknown>[] = [];
    for (const l of streams) closing.push(l.close());
    for (const l of wsListeners) closing.push(l.close());
    for (const conn of pool.all()) conn.close();
    closing.push(pool.whenEmpty());
    for (const e of udp) closing.push(e.close());
    await Promise.allSettled(closing);
    // Connections that were being opened when we stopped: their connects are aborted.
    await Promise.allSettled([...connecting.values()]);
  }

  async function startNow(): Promise<void> {
    locals = localAddresses();
    sentByCache.clear();
    lastSentBy = undefined;
    const onKeepAlive = onStreamKeepAlive;
    try {
      if (options.udp !== false) {
        const o = options.udp ?? {};
        let onUdp: (bytes: Uint8Array, remote: Remote) => void = () => undefined;
        const endpoint: UdpEndpoint = await listenUdp(
          {
            address: o.address ?? baseAddress,
            port: o.port ?? 5060,
            limits,
            logger,
            ...(o.receiveBufferBytes !== undefined ? { receiveBufferBytes: o.receiveBufferBytes } : {}),
            ...(o.sendBufferBytes !== undefined ? { sendBufferBytes: o.sendBufferBytes } : {}),
          },
          {
            onMessage: (bytes, remote) => {
              onUdp(bytes, remote);
            },
            onSendError: (error) => {
              stats.sendErrors++;
              logger.debug('a UDP send failed after it was handed to the OS', { error });
            },
            onOversize: (size, remote) => {
              stats.dropped++;
              logger.info('dropped an oversized datagram', { size, from: `${remote.address}:${String(remote.port)}` });
            },
          },
        );
        onUdp = udpReceiver(endpoint);
        udp.push(endpoint);
      }
      if (options.tcp !== false) {
        const o = options.tcp ?? {};
        streams.push(await listenTcp({ address: o.address ?? baseAddress, port: o.port ?? 5060, limits, logger, admit, onKeepAlive }, listenerEvents));
      }
      if (options.tls !== undefined) {
        const o = options.tls;
        const server = { key: o.key, cert: o.cert, ...(o.ca !== undefined ? { ca: o.ca } : {}), ...(o.requestCert !== undefined ? { requestCert: o.requestCert } : {}) };
        streams.push(await listenTls({ address: o.address ?? baseAddress, port: o.port ?? 5061, limits, logger, admit, onKeepAlive }, server, listenerEvents));
      }
      if (options.ws !== undefined) {
        const o = options.ws;
        const origin = o.allowOrigin !== undefined ? { allowOrigin: o.allowOrigin } : {};
        wsListeners.push(await listenWs({ address: o.address ?? baseAddress, port: o.port ?? 80, path: o.path ?? '/', limits, logger, ...origin }, listenerEvents));
      }
      if (options.wss !== undefined) {
        const o = options.wss;
        const tls = { key: o.key, cert: o.cert, ...(o.ca !== undefined ? { ca: o.ca } : {}) };
        const origin = o.allowOrigin !== undefined ? { allowOrigin: o.allowOrigin } : {};
        wsListeners.push(await listenWs({ address: o.address ?? baseAddress, port: o.port ?? 443, path: o.path ?? '/', tls, limits, logger, ...origin }, listenerEvents));
      }
    } catch (e) {
      await closeAll();
      if (e instanceof SipError && e.code === 'bind-failed') throw e;
      throw new SipError('bind-failed', `cannot start the transports: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    logger.info('transports listening', { listening: layer.listening });
  }

  function counted<T>(p: Promise<T>, what: string): Promise<T> {
    return p.then(
      (v) => {
        stats.messagesSent++;
        return v;
      },
      (e: unknown) => {
        stats.sendErrors++;
        throw asSendError(e, what);
      },
    );
  }

  const layer: TransportLayer = {
    start(): Promise<void> {
      if (stopped !== undefined) return Promise.reject(new SipError('bind-failed', 'the transport layer was stopped; create a new one'));
      started ??= startNow();
      return started;
    },
    get listening() {
      // Read on every request by the facade and the proxy (their own-address checks): built once
      // per set of listeners, frozen, instead of an array of new objects per read.
      const count = udp.length + streams.length + wsListeners.length;
      if (listening?.length !== count) {
        const out: Listening[] = [];
        for (const e of udp) out.push(Object.freeze({ protocol: 'UDP', address: e.address, port: e.port }));
        for (const l of streams) out.push(Object.freeze({ protocol: l.protocol, address: l.address, port: l.port }));
        for (const l of wsListeners) out.push(Object.freeze({ protocol: l.protocol, address: canonicalIp(l.address), port: l.port }));
        listening = Object.freeze(out);
      }
      return listening;
    },
    stats,
    sendRequest(request: SipRequest, target: Target): Promise<Remote> {
      return counted(sendRequestNow(request, target), `cannot send ${request.method} to ${targetText(target)}`);
    },
    sendResponse(response: SipResponse, remote?: Remote): Promise<Remote> {
      let prepared: Prepared;
      try {
        prepared = prepareResponse(response, remote);
      } catch (e) {
        return counted(Promise.reject(e as Error), `cannot send a ${String(response.status)} response`);
      }
      return counted(sendPreparedNow(prepared), `cannot send a ${String(response.status)} response`);
    },
    port,
    keepAlive,
    hasFlow(flowId: string): boolean {
      return pool.byFlow(flowId) !== undefined;
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        if (started !== undefined) await started.catch(() => undefined);
        await closeAll();
      })();
      return stopped;
    },
  };
  return layer;
}
