/**
 * A {@link Connection} over a node:net or node:tls socket: stream framing (RFC 3261 §18.3), the
 * CRLF keep-alive pong (RFC 5626 §4.4.1), and the per-connection limits (message deadline against
 * slowloris, idle timeout, write backlog). Errors never escape the socket callbacks.
 * @see RFC 3261 §18.3, RFC 5626 §4.4.1
 */
import type { Socket } from 'node:net';
import { createStreamFramer, SipError, type StreamFramer } from '@sipts/message';
import { asError } from '../as-error.js';
import { canonicalIp } from '../receive.js';
import { safely } from '../safely.js';
import type { Logger, Remote, TransportLimits } from '../types.js';
import { newFlowId, type Connection, type ConnectionEvents } from './connection.js';

/** Options of {@link createStreamConnection}. */
export interface StreamConnectionOptions {
  protocol: 'TCP' | 'TLS';
  /** True when we opened the connection. */
  outbound: boolean;
  limits: Required<TransportLimits>;
  logger: Logger;
  /**
   * Called after a CRLF pong answered a CRLFCRLF ping (`kind` 'ping'), and when a lone CRLF (a pong
   * to our own ping, RFC 5626 §4.4.1) arrived (`kind` 'pong').
   */
  onKeepAlive?: (conn: Connection, kind: 'ping' | 'pong') => void;
}

const PONG = new Uint8Array([0x0d, 0x0a]);

function sendFailed(message: string, cause?: unknown): SipError {
  return new SipError('send-failed', message, cause === undefined ? { status: 503 } : { status: 503, cause });
}

/**
 * Wraps a connected socket (for TLS: after the handshake). The socket must already be connected:
 * its addresses make the flow id.
 * @example const conn = createStreamConnection(socket, { protocol: 'TCP', outbound: false, limits, logger }, events)
 * @see RFC 3261 §18.3
 */
export function createStreamConnection(socket: Socket, options: StreamConnectionOptions, events: ConnectionEvents): Connection {
  const { protocol, limits, logger } = options;
  const address = canonicalIp(socket.remoteAddress ?? '');
  const port = socket.remotePort ?? 0;
  const remote: Remote = {
    protocol,
    address,
    port,
    local: { address: canonicalIp(socket.localAddress ?? ''), port: socket.localPort ?? 0 },
    flowId: newFlowId(protocol, address, port),
  };
  /** The log attributes of a callback that throws: which connection. */
  const where = { flowId: remote.flowId };
  let framer: StreamFramer | undefined; // made on the first byte: idle connections stay small
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let closeError: Error | undefined;

  function clearDeadline(): void {
    if (deadline !== undefined) clearTimeout(deadline);
    deadline = undefined;
  }

  function startDeadline(): void {
    clearDeadline();
    deadline = setTimeout(() => {
      deadline = undefined;
      const err = new SipError('limit-exceeded', `no complete message within ${String(limits.messageDeadlineMs)} ms`, { status: 408 });
      logger.info('closing a connection that did not complete a message in time', { flowId: remote.flowId });
      fail(err);
    }, limits.messageDeadlineMs);
    deadline.unref();
  }


  function fail(err: Error): void {
    if (closed) return;
    closeError = err;
    safely(logger, { what: 'onFramingError', attrs: where }, () => events.onFramingError?.(conn, err));
    conn.close();
  }

  const conn: Connection = {
    protocol,
    remote,
    outbound: options.outbound,
    get open(): boolean {
      return !closed && !socket.destroyed && socket.writable;
    },
    write(bytes: Uint8Array): Promise<void> {
      if (!conn.open) return Promise.reject(sendFailed(`the ${protocol} connection ${remote.flowId ?? ''} is closed`));
      if (socket.writableLength + bytes.length > limits.maxPendingWriteBytes) {
        return Promise.reject(sendFailed(`the ${protocol} connection ${remote.flowId ?? ''} has ${String(socket.writableLength)} bytes waiting to be written`));
      }
      return new Promise<void>((resolve, reject) => {
        try {
          socket.write(bytes, (err) => {
            if (err) reject(sendFailed(`write on ${remote.flowId ?? ''} failed: ${err.message}`, err));
            else resolve();
          });
        } catch (e) {
          reject(sendFailed(`write on ${remote.flowId ?? ''} failed`, e));
        }
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      clearDeadline();
      socket.destroy();
    },
  };

  socket.setNoDelay(true);
  socket.setTimeout(limits.idleTimeoutMs, () => {
    logger.debug('closing an idle connection', { flowId: remote.flowId });
    conn.close();
  });

  socket.on('data', (chunk: Uint8Array) => {
    if (closed) return;
    framer ??= createStreamFramer(limits);
    const before = framer.keepAlives;
    let frames: Uint8Array[];
    try {
      frames = framer.push(chunk);
    } catch (e) {
      fail(asError(e));
      return;
    }
    // A CRLFCRLF ping is two keep-alive CRLFs; a single CRLF is a pong, which is not answered.
    const crlfs = framer.keepAlives - before;
    if (crlfs >= 2) {
      socket.write(PONG);
      safely(logger, { what: 'onKeepAlive', attrs: where }, () => options.onKeepAlive?.(conn, 'ping'));
    } else if (crlfs === 1) {
      safely(logger, { what: 'onKeepAlive', attrs: where }, () => options.onKeepAlive?.(conn, 'pong'));
    }
    for (const frame of frames) {
      if (socket.destroyed) return; // a handler closed it
      safely(logger, { what: 'onFrame', attrs: where }, () => {
        events.onFrame(conn, frame);
      });
    }
    if (framer.buffered === 0) clearDeadline();
    else if (deadline === undefined || frames.length > 0) startDeadline();
  });

  socket.on('error', (err) => {
    closeError ??= err;
    logger.debug('connection error', { error: err, flowId: remote.flowId });
  });

  let reported = false;
  const reportClose = (): void => {
    closed = true;
    clearDeadline();
    if (reported) return;
    reported = true;
    safely(logger, { what: 'onClose', attrs: where }, () => {
      events.onClose(conn, closeError);
    });
  };
  socket.on('close', reportClose);
  // A socket that died before it was wrapped never emits 'close' again.
  if (socket.destroyed) queueMicrotask(reportClose);

  return conn;
}
