/**
 * SIP over WebSocket for Node (RFC 7118): a `ws`/`wss` listener and an outbound client, both
 * yielding {@link Connection}s that carry one SIP message per frame (§5.2). The `sip`
 * subprotocol is required in both directions (§4.1); text and binary frames are accepted (§5.1).
 * @see RFC 7118 §4, §5; RFC 6455
 */
import { isUtf8 } from 'node:buffer';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { SipError } from '@sipts/message';
import { asError } from '../as-error.js';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { safely } from '../safely.js';
import type { Logger, Remote, Target, TransportLimits } from '../types.js';
import { newFlowId, type Connection, type ConnectionEvents } from './connection.js';

/** The WebSocket subprotocol SIP uses (RFC 7118 §4.1). */
const SUBPROTOCOL = 'sip';
/** How long a closing connection may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 2000;

/** Options of {@link listenWs}. */
export interface WsListenOptions {
  port: number;
  address: string;
  /** The resource path clients must request (e.g. `/` or `/sip`); other paths get 404. */
  path: string;
  /** Present for `wss` (WSS): the server certificate chain and key. */
  tls?: { key: string | Uint8Array; cert: string | Uint8Array; ca?: string | Uint8Array | (string | Uint8Array)[] };
  limits: Required<TransportLimits>;
  logger: Logger;
  /** Ping every connection this often and drop those that did not answer the last ping. Default: off. */
  keepAliveIntervalMs?: number;
  /** Decides on the handshake's Origin (see {@link WsOptions.allowOrigin}); false: 403. Default: all. */
  allowOrigin?: (origin: string | undefined) => boolean;
}

/** A listening WebSocket server. */
export interface WsListener {
  readonly protocol: 'WS' | 'WSS';
  readonly address: string;
  readonly port: number;
  /** Stops listening and closes every connection it accepted; resolves when all are closed. */
  close(): Promise<void>;
}

/** Options of {@link connectWs}. */
export interface WsConnectOptions {
  /** For `wss`: client TLS options (CA, client certificate, `rejectUnauthorized`, which defaults to true). */
  tls?: ConnectionOptions;
  limits: Required<TransportLimits>;
  logger: Logger;
  /** The opening handshake must complete within this time. Default 10 s. */
  connectTimeoutMs?: number;
  /** Ping the server this often and drop the connection if the previous ping got no pong. Default: off. */
  keepAliveIntervalMs?: number;
}

/** `[::1]` for IPv6 literals, the address unchanged otherwise (URLs, Host, error messages). */
function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) reads as `192.0.2.1`. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function toBuffer(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Which end of a WebSocket a {@link WsConnection} is: its transport, the peer, who opened it. */
interface WsSide {
  readonly protocol: 'WS' | 'WSS';
  readonly remote: Remote;
  /** We opened it (a client connection). */
  readonly outbound: boolean;
}

/** One WebSocket as a {@link Connection}. Reports events only once `start()` is called. */
class WsConnection implements Connection {
  readonly protocol: 'WS' | 'WSS';
  readonly remote: Remote;
  readonly outbound: boolean;
  readonly #ws: WebSocket;
  readonly #events: ConnectionEvents;
  readonly #limits: Required<TransportLimits>;
  readonly #logger: Logger;
  #error: Error | undefined;
  #alive = true;
  #reporting = false;
  #closed = false;
  readonly #closeWaiters: (() => void)[] = [];

  constructor(ws: WebSocket, side: WsSide, ctx: WsContext) {
    this.#ws = ws;
    this.protocol = side.protocol;
    this.remote = side.remote;
    this.outbound = side.outbound;
    this.#events = ctx.events;
    this.#limits = ctx.limits;
    this.#logger = ctx.logger;
    ws.on('error', (err) => {
      this.#onError(err);
    });
    ws.on('close', () => {
      this.#onClose();
    });
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('message', (data, isBinary) => {
      this.#onMessage(data, isBinary);
    });
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === WebSocket.OPEN;
  }

  /** From now on frames and the close are reported to the owner. */
  start(): void {
    this.#reporting = true;
    if (this.#closed) this.#reportClose();
  }

  write(bytes: Uint8Array): Promise<void> {
    const ws = this.#ws;
    if (!this.open) {
      return Promise.reject(new SipError('send-failed', `${this.remote.flowId ?? ''}: connection is closed`, { status: 503 }));
    }
    if (ws.bufferedAmount + bytes.byteLength > this.#limits.maxPendingWriteBytes) {
      return Promise.reject(new SipError('send-failed', `${this.remote.flowId ?? ''}: write buffer full`, { status: 503 }));
    }
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null): void => {
        if (err === undefined || err === null) resolve();
        else reject(new SipError('send-failed', `${this.remote.flowId ?? ''}: ${err.message}`, { status: 503, cause: err }));
      };
      try {
        // RFC 7118 §5.1: text frames for UTF-8 messages, binary frames otherwise.
        ws.send(bytes, { binary: !isUtf8(bytes) }, done);
      } catch (e) {
        done(asError(e));
      }
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    try {
      this.#ws.close(code, reason);
    } catch (e) {
      this.#logger.debug('ws close failed', { flowId: this.remote.flowId, error: asError(e).message });
      this.#ws.terminate();
    }
    const cut = setTimeout(() => {
      this.#ws.terminate();
    }, CLOSE_GRACE_MS);
    cut.unref();
    this.#closeWaiters.push(() => {
      clearTimeout(cut);
    });
  }

  /** Resolves once the socket is closed. */
  closed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** One keep-alive round: cuts the connection if the last ping got no pong, pings again. */
  heartbeat(): void {
    if (this.#closed) return;
    if (!this.#alive) {
      this.#logger.info('ws peer did not answer ping, closing', { flowId: this.remote.flowId });
      this.#error ??= new SipError('keep-alive-timeout', 'no pong from WebSocket peer');
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    try {
      this.#ws.ping();
    } catch (e) {
      this.#logger.debug('ws ping failed', { flowId: this.remote.flowId, error: asError(e).message });
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#alive = true;
    if (!this.#reporting || this.#closed) return;
    // Per frame: safely()'s contract written inline, so no closure is made for each one.
    try {
      this.#events.onFrame(this, frameBytes(data));
    } catch (e) {
      this.#logger.error('ws frame handler threw', { flowId: this.remote.flowId, binary: isBinary, error: e });
    }
  }

  #onError(err: Error): void {
    this.#error ??= err;
    this.#logger.debug('ws error', { flowId: this.remote.flowId, error: err.message });
    // ws's own codes (WS_ERR_*) are protocol and limit violations by the peer: oversize frame, bad UTF-8...
    const code = (err as Error & { code?: unknown }).code;
    if (this.#reporting && typeof code === 'string' && code.startsWith('WS_ERR_')) {
      safely(this.#logger, { what: 'ws framing-error handler', attrs: { flowId: this.remote.flowId } }, () => {
        this.#events.onFramingError?.(this, err);
      });
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#closeWaiters.splice(0)) waiter();
    if (this.#reporting) this.#reportClose();
  }

  #reportClose(): void {
    this.#reporting = false; // exactly once
    safely(this.#logger, { what: 'ws close handler', attrs: { flowId: this.remote.flowId } }, () => {
      this.#events.onClose(this, this.#error);
    });
  }
}

interface WsContext {
  events: ConnectionEvents;
  limits: Required<TransportLimits>;
  logger: Logger;
}

/** Refuses an HTTP upgrade with a status line and closes the socket. */
function refuse(socket: Duplex, status: number, reason: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${String(status)} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header === undefined ? [] : header.split(',').map((p) => p.trim());
}

/**
 * Starts a WebSocket (or, with `tls`, secure WebSocket) SIP server on `address:port` (port 0:
 * an ephemeral port, read back from the result). A handshake that does not offer the `sip`
 * subprotocol is refused with 400, other paths with 404. Frames larger than
 * `maxHeaderBytes + maxBodyBytes` close the connection (1009).
 *
 * `events.onOpen` sees each accepted connection first; when it returns false (a connection
 * limit) the connection is closed at once (1013) and no further events are reported for it.
 * @throws SipError `bind-failed` (rejected) when the address cannot be listened on.
 * @example
 * const listener = await listenWs({ port: 0, address: '127.0.0.1', path: '/', limits, logger },
 *   { onOpen: () => true, onFrame: (conn, bytes) => pool.receive(conn, bytes), onClose: (conn) => pool.drop(conn) });
 * @see RFC 7118 §4.1 (subprotocol), §5 (framing)
 */
export function listenWs(
  options: WsListenOptions,
  events: ConnectionEvents & { onOpen(conn: Connection): boolean },
): Promise<WsListener> {
  const { limits, logger } = options;
  const protocol = options.tls === undefined ? 'WS' : 'WSS';
  const ctx: WsContext = { events, limits, logger };
  const accepted = new Set<WsConnection>();
  const server: Server =
    options.tls === undefined
      ? createHttpServer()
      : createHttpsServer({
          key: toBuffer(options.tls.key),
          cert: toBuffer(options.tls.cert),
          ...(options.tls.ca === undefined
            ? {}
            : { ca: Array.isArray(options.tls.ca) ? options.tls.ca.map(toBuffer) : toBuffer(options.tls.ca) }),
        });
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: limits.maxHeaderBytes + limits.maxBodyBytes,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  let closing = false;
  // Bounds a slow opening handshake (the HTTP request); upgraded sockets are not affected.
  server.requestTimeout = limits.messageDeadlineMs;
  server.headersTimeout = limits.messageDeadlineMs;

  server.on('request', (req, res) => {
    res.on('error', () => undefined);
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
    req.resume();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => {
      logger.debug('ws handshake socket error', { error: err.message });
    });
    try {
      if (closing) {
        refuse(socket, 503, 'Service Unavailable');
        return;
      }
      const pathname = (req.url ?? '').split('?')[0];
      if (pathname !== options.path) {
        refuse(socket, 404, 'Not Found');
        return;
      }
      if (options.allowOrigin !== undefined && !options.allowOrigin(req.headers.origin)) {
        // RFC 6455 §10.2: a server that serves only some sites' pages refuses the others with 403.
        logger.info('ws handshake from a page of another origin refused', { from: req.socket.remoteAddress, origin: req.headers.origin });
        refuse(socket, 403, 'Forbidden');
        return;
      }
      if (!offeredProtocols(req).includes(SUBPROTOCOL)) {
        logger.info('ws handshake without the sip subprotocol refused', { from: req.socket.remoteAddress });
        refuse(socket, 400, 'Bad Request');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const address = plainAddress(req.socket.remoteAddress);
        const port = req.socket.remotePort ?? 0;
        const remote: Remote = {
          protocol,
          address,
          port,
          local: { address: plainAddress(req.socket.localAddress), port: req.socket.localPort ?? 0 },
          flowId: newFlowId(protocol, address, port),
        };
        const conn = new WsConnection(ws, { protocol, remote, outbound: false }, ctx);
        const admitted = safely(logger, { what: 'ws onOpen handler', attrs: { flowId: remote.flowId } }, () => !closing && events.onOpen(conn)) === true;
        if (!admitted) {
          conn.close(1013, 'Try Again Later');
          return;
        }
        accepted.add(conn);
        void conn.closed().then(() => accepted.delete(conn));
        // The idle limit, as for TCP: no bytes either way (frames, pings) for idleTimeoutMs.
        req.socket.setTimeout(limits.idleTimeoutMs, () => {
          logger.debug('closing an idle ws connection', { flowId: remote.flowId });
          conn.close(1001, 'Idle');
        });
        conn.start();
      });
    } catch (e) {
      logger.error('ws upgrade failed', { error: asError(e) });
      socket.destroy();
    }
  });

  const interval = options.keepAliveIntervalMs;
  const pinger =
    interval !== undefined && interval > 0
      ? setInterval(() => {
          for (const conn of accepted) conn.heartbeat();
        }, interval)
      : undefined;

  const where = `${hostPart(options.address)}:${String(options.port)}`;
  return new Promise<WsListener>((resolve, reject) => {
    const onError = (err: Error): void => {
      if (pinger !== undefined) clearInterval(pinger);
      wss.close();
      reject(new SipError('bind-failed', `cannot listen for ${protocol} on ${where}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(options.port, options.address, () => {
      server.off('error', onError);
      server.on('error', (err) => {
        logger.error('ws server error', { address: where, error: err });
      });
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
      let closed: Promise<void> | undefined;
      resolve({
        protocol,
        address: options.address,
        port,
        close(): Promise<void> {
          closed ??= (async () => {
            closing = true;
            if (pinger !== undefined) clearInterval(pinger);
            const serverClosed = new Promise<void>((done) => {
              server.close(() => {
                done();
              });
            });
            const conns = [...accepted];
            for (const conn of conns) conn.close(1001, 'Going Away');
            await Promise.all(conns.map((c) => c.closed()));
            server.closeAllConnections(); // handshakes in progress, plain HTTP keep-alives
            wss.close();
            await serverClosed;
          })();
          return closed;
        },
      });
    });
  });
}

/**
 * Opens a `ws://` (or, for protocol `WSS`, `wss://`) connection to `target.address:port` on
 * `target.path ?? '/'`, offering the `sip` subprotocol; `target.host` is sent as Host and SNI.
 * Resolves when the connection is open.
 * @throws SipError `connect-failed` (status 503, rejected) when the connection or handshake
 *   fails, or the server did not select the `sip` subprotocol.
 * @example
 * const conn = await connectWs({ protocol: 'WSS', address: '192.0.2.1', port: 443, host: 'sip.example.com' },
 *   { limits, logger }, { onFrame, onClose });
 * await conn.write(serializeMessage(request));
 * @see RFC 7118 §4.1, §5
 */
export function connectWs(target: Target, options: WsConnectOptions, events: ConnectionEvents): Promise<Connection> {
  const protocol = target.protocol === 'WSS' ? 'WSS' : 'WS';
  const scheme = protocol === 'WSS' ? 'wss' : 'ws';
  const path = target.path ?? '/';
  const url = `${scheme}://${hostPart(target.address)}:${String(target.port)}${path.startsWith('/') ? path : `/${path}`}`;
  const { limits, logger } = options;
  const failed = (why: string, cause?: unknown): SipError =>
    new SipError('connect-failed', `cannot connect to ${url}: ${why}`, { status: 503, cause });
  if (target.protocol !== 'WS' && target.protocol !== 'WSS') {
    return Promise.reject(failed(`protocol ${target.protocol} is not WS or WSS`));
  }
  return new Promise<Connection>((resolve, reject) => {
    const host = target.host;
    const hostHeader = host === undefined ? undefined : hostPart(host) + `:${String(target.port)}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [SUBPROTOCOL], {
        ...options.tls,
        ...(host !== undefined && isIP(host) === 0 ? { servername: host } : {}),
        ...(hostHeader === undefined ? {} : { headers: { Host: hostHeader } }),
        perMessageDeflate: false,
        maxPayload: limits.maxHeaderBytes + limits.maxBodyBytes,
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        followRedirects: false,
      });
    } catch (e) {
      reject(failed(asError(e).message, e));
      return;
    }
    let local = { address: '', port: 0 };
    ws.once('upgrade', (res) => {
      local = { address: plainAddress(res.socket.localAddress), port: res.socket.localPort ?? 0 };
    });
    const onError = (err: Error): void => {
      ws.terminate();
      reject(failed(err.message, err));
    };
    ws.on('error', onError);
    ws.once('open', () => {
      if (ws.protocol !== SUBPROTOCOL) {
        // ws already refuses a missing or unexpected subprotocol; this keeps the rule local.
        ws.off('error', onError);
        ws.on('error', () => undefined);
        ws.terminate();
        reject(failed('the server did not select the sip subprotocol'));
        return;
      }
      const remote: Remote = { protocol, address: target.address, port: target.port, local, flowId: newFlowId(protocol, target.address, target.port) };
      const conn = new WsConnection(ws, { protocol, remote, outbound: true }, { events, limits, logger });
      ws.off('error', onError);
      const interval = options.keepAliveIntervalMs;
      if (interval !== undefined && interval > 0) {
        const pinger = setInterval(() => {
          conn.heartbeat();
        }, interval);
        pinger.unref();
        void conn.closed().then(() => {
          clearInterval(pinger);
        });
      }
      conn.start();
      resolve(conn);
    });
  });
}
