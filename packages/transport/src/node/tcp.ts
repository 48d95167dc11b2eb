/**
 * The TCP transport (node:net): a listener that enforces the connection limits on accept, and a
 * client connect with a timeout. TLS (tls.ts) shares the listener and connect machinery.
 * @see RFC 3261 §18.3
 */
import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import { SipError } from '@sipts/message';
import { canonicalIp } from '../receive.js';
import { safely } from '../safely.js';
import type { Logger, Target, TransportLimits } from '../types.js';
import type { Connection, ConnectionEvents } from './connection.js';
import { createStreamConnection } from './stream-connection.js';

/** Options of {@link listenTcp} (and the TLS listener). */
export interface StreamListenOptions {
  address: string;
  /** 0 picks an ephemeral port. */
  port: number;
  limits: Required<TransportLimits>;
  logger: Logger;
  /**
   * Asked before a connection is accepted, with the peer's address: false refuses it (the
   * total and per-address connection limits).
   */
  admit(remoteAddress: string): boolean;
  /** Called when a CRLF pong answered a ping. */
  onKeepAlive?: (conn: Connection) => void;
}

/** Events of a listener: the connection events, and `onOpen` for each accepted connection. */
export type ListenerEvents = ConnectionEvents & {
  /** A new inbound connection; returning false closes it. */
  onOpen(conn: Connection): boolean;
};

/** A listening TCP or TLS server. */
export interface StreamListener {
  readonly protocol: 'TCP' | 'TLS';
  readonly address: string;
  readonly port: number;
  /** Stops accepting and destroys every socket it accepted; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Options of {@link connectTcp} (and the TLS connect). */
export interface StreamConnectOptions {
  /** Give up on a connect (and for TLS the handshake) after this long. */
  connectTimeoutMs: number;
  limits: Required<TransportLimits>;
  logger: Logger;
  onKeepAlive?: (conn: Connection) => void;
  /** Aborts a pending connect (the layer stopping). */
  signal?: AbortSignal;
}

/** The error code (`ECONNREFUSED`…) of a Node error, or its message. */
export function errorCode(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}

function hostPort(address: string, port: number): string {
  return (isIP(address) === 6 ? `[${address}]` : address) + ':' + String(port);
}

/** What {@link serveStream} serves: a net.Server or tls.Server, and the event that gives a ready socket. */
export interface StreamServer {
  readonly protocol: 'TCP' | 'TLS';
  readonly server: Server;
  readonly readyEvent: 'connection' | 'secureConnection';
}

/**
 * Serves `stream.server`: admission on the raw connection, a {@link Connection} once
 * `stream.readyEvent` fires with a ready socket.
 * @internal shared by the TCP and TLS listeners
 */
export function serveStream(stream: StreamServer, options: StreamListenOptions, events: ListenerEvents): Promise<StreamListener> {
  const { protocol, server, readyEvent } = stream;
  const { logger } = options;
  const sockets = new Set<Socket>();
  let local = { address: options.address, port: options.port };

  function wrap(socket: Socket): void {
    const extra = options.onKeepAlive ? { onKeepAlive: options.onKeepAlive } : {};
    const conn = createStreamConnection(socket, { protocol, outbound: false, limits: options.limits, logger, ...extra }, events);
    const keep = safely(logger, 'onOpen', () => events.onOpen(conn)) === true;
    if (!keep) conn.close();
  }

  // For TLS, `connection` is the raw TCP socket: the limits are checked before the handshake.
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined); // reported by the connection once wrapped; a refused socket has nothing to tell
    const admitted = safely(logger, 'admit', () => options.admit(canonicalIp(socket.remoteAddress ?? ''))) === true;
    if (!admitted) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (readyEvent === 'connection') wrap(socket);
  });

  if (readyEvent === 'secureConnection') {
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      wrap(socket);
    });
  }

  return new Promise<StreamListener>((resolve, reject) => {
    const onListenError = (err: Error): void => {
      reject(new SipError('bind-failed', `cannot listen on ${protocol} ${hostPort(options.address, options.port)}: ${errorCode(err)}`, { cause: err }));
    };
    server.once('error', onListenError);
    server.listen({ host: options.address, port: options.port, exclusive: true }, () => {
      server.off('error', onListenError);
      server.on('error', (err) => {
        logger.warn(`${protocol} server error`, { error: err });
      });
      const a = server.address();
      if (a !== null && typeof a === 'object') local = { address: canonicalIp(a.address), port: a.port };
      let closing: Promise<void> | undefined;
      resolve({
        protocol,
        get address() {
          return local.address;
        },
        get port() {
          return local.port;
        },
        close(): Promise<void> {
          closing ??= new Promise<void>((done) => {
            server.close(() => {
              done();
            });
            for (const s of sockets) s.destroy();
          });
          return closing;
        },
      });
    });
  });
}

/**
 * Listens for TCP connections.
 * @throws SipError `bind-failed` naming the address and port
 * @example const l = await listenTcp({ address: '0.0.0.0', port: 5060, limits, logger, admit: () => true }, events)
 * @see RFC 3261 §18.3
 */
export function listenTcp(options: StreamListenOptions, events: ListenerEvents): Promise<StreamListener> {
  const server = createServer({ noDelay: true, pauseOnConnect: false });
  return serveStream({ protocol: 'TCP', server, readyEvent: 'connection' }, options, events);
}

/** What {@link connectStream} connects: the target, how to open its socket, and the event that says it is ready. */
export interface StreamDial {
  readonly protocol: 'TCP' | 'TLS';
  readonly target: Target;
  readonly open: () => Socket;
  readonly readyEvent: 'connect' | 'secureConnect';
}

/**
 * Connects a socket made by `dial.open` and wraps it once `dial.readyEvent` fires.
 * @internal shared by the TCP and TLS clients
 */
export function connectStream(dial: StreamDial, options: StreamConnectOptions, events: ConnectionEvents): Promise<Connection> {
  const { protocol, target, open, readyEvent } = dial;
  const where = `${protocol} ${hostPort(target.address, target.port)}`;
  return new Promise<Connection>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(new SipError('connect-failed', `connect to ${where} aborted: the transport is stopping`, { status: 503 }));
      return;
    }
    let socket: Socket;
    try {
      socket = open();
    } catch (e) {
      reject(new SipError('connect-failed', `cannot connect to ${where}: ${errorCode(e)}`, { status: 503, cause: e }));
      return;
    }
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err === undefined) {
        const extra = options.onKeepAlive ? { onKeepAlive: options.onKeepAlive } : {};
        resolve(createStreamConnection(socket, { protocol, outbound: true, limits: options.limits, logger: options.logger, ...extra }, events));
        return;
      }
      socket.on('error', () => undefined);
      socket.destroy();
      reject(err instanceof SipError ? err : new SipError('connect-failed', `cannot connect to ${where}: ${errorCode(err)}`, { status: 503, cause: err }));
    };
    const onError = (err: Error): void => {
      finish(err);
    };
    const onAbort = (): void => {
      finish(new SipError('connect-failed', `connect to ${where} aborted: the transport is stopping`, { status: 503 }));
    };
    const timer = setTimeout(() => {
      finish(new SipError('connect-failed', `connect to ${where} timed out after ${String(options.connectTimeoutMs)} ms`, { status: 503 }));
    }, options.connectTimeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      finish(undefined);
    });
  });
}

/**
 * Opens a TCP connection to `target`.
 * @throws SipError `connect-failed` (status 503): refused, unreachable, timed out or aborted;
 *   `cause.code` keeps the system error code (`ECONNREFUSED`…)
 * @example const conn = await connectTcp({ protocol: 'TCP', address: '192.0.2.1', port: 5060 }, options, events)
 */
export function connectTcp(target: Target, options: StreamConnectOptions, events: ConnectionEvents): Promise<Connection> {
  const open = (): Socket => connect({ host: target.address, port: target.port, noDelay: true });
  return connectStream({ protocol: 'TCP', target, open, readyEvent: 'connect' }, options, events);
}
