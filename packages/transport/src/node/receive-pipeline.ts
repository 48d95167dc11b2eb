/**
 * The receive pipeline every transport feeds (RFC 3261 §18.2.1, §18.1.2, RFC 3581 §4): trace,
 * parse with the configured limits, answer a bad request 400 on the transport it came from,
 * drop and count bad responses and garbage, check the mandatory headers, stamp `received` and
 * `rport`, and hand the message up. Nothing a handler throws escapes.
 * @see RFC 3261 §18.2.1, §8.2.2, RFC 3581 §4
 */
import { isRequest, makeResponse, safeParseMessage, serializeMessage, type SipMessage } from '@sipts/message';
import { badRequestFor } from '../bad-request.js';
import { generateTag } from '../branch.js';
import { checkMandatoryHeaders, stampReceived } from '../receive.js';
import type { Logger, Remote, TraceHook, TransportHandlers, TransportLimits, TransportStats } from '../types.js';
import type { Connection } from './connection.js';

/** Sends bytes back where a message came from (UDP: the packet source; streams: the connection). */
export type Reply = (bytes: Uint8Array) => Promise<void>;

/** What the pipeline needs from its layer. */
export interface ReceiverContext {
  limits: Required<TransportLimits>;
  logger: Logger;
  trace: TraceHook | undefined;
  stats: TransportStats;
  handlers: TransportHandlers;
  /** A connection delivered a valid message (parsed, mandatory headers present). */
  onValidMessage?: (conn: Connection) => void;
}

/** Feeds one whole message's bytes through the pipeline (`conn` for connection-oriented transports). */
export type Receive = (bytes: Uint8Array, remote: Remote, framing: 'datagram' | 'stream', reply: Reply, conn?: Connection) => void;

/** Calls `fn`, logging what it throws. */
export function safely(logger: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    logger.error(`${what} threw`, { error: e });
  }
}

/**
 * Creates the receive pipeline of one transport layer.
 * @example const receive = createReceiver({ limits, logger, trace, stats, handlers }); receive(bytes, remote, 'datagram', reply)
 * @see RFC 3261 §18.2.1
 */
export function createReceiver(ctx: ReceiverContext): Receive {
  const { limits, logger, trace, stats, handlers } = ctx;
  const parseOptions = { maxHeaderBytes: limits.maxHeaderBytes, maxHeaderCount: limits.maxHeaderCount, maxBodyBytes: limits.maxBodyBytes };
  const malformed = new WeakMap<Connection, number>();

  /** Counts a malformed message on a connection; past the limit, closes it once `pending` settles. */
  function noteMalformed(conn: Connection | undefined, pending: Promise<unknown>): void {
    if (conn === undefined) return;
    const n = (malformed.get(conn) ?? 0) + 1;
    malformed.set(conn, n);
    if (n === limits.maxMalformedPerConnection) {
      logger.info('closing a connection that sent too many malformed messages', { flowId: conn.remote.flowId, count: n });
      stats.connectionsRejected++;
      void pending.finally(() => {
        conn.close();
      });
    }
  }

  function answer(bytes: Uint8Array, remote: Remote, reply: Reply): Promise<void> {
    stats.badRequestsAnswered++;
    return reply(bytes).then(
      () => {
        stats.messagesSent++;
        if (trace?.onSend !== undefined) safely(logger, 'trace.onSend', () => trace.onSend?.(bytes, remote));
      },
      (e: unknown) => {
        stats.sendErrors++;
        logger.debug('could not send a 400', { error: e });
      },
    );
  }

  function drop(conn: Connection | undefined, what: string, attrs: Record<string, unknown>): void {
    stats.dropped++;
    logger.debug(what, attrs);
    noteMalformed(conn, Promise.resolve());
  }

  return (bytes, remote, framing, reply, conn) => {
    if (trace?.onReceive !== undefined) safely(logger, 'trace.onReceive', () => trace.onReceive?.(bytes, remote));
    const from = `${remote.protocol} ${remote.address}:${String(remote.port)}`;
    const parsed = safeParseMessage(bytes, { framing, ...parseOptions });
    if (!parsed.ok) {
      const rs = badRequestFor(bytes, parsed.error.message, parsed.error.status ?? 400);
      if (rs === undefined) {
        drop(conn, 'dropped a message that failed parsing', { error: parsed.error.message, from });
        return;
      }
      logger.debug('answering a malformed request with 400', { error: parsed.error.message, from });
      noteMalformed(conn, answer(rs, remote, reply));
      return;
    }
    const message: SipMessage = parsed.message;
    const why = checkMandatoryHeaders(message);
    if (isRequest(message)) {
      if (why !== undefined) {
        // No Via: nobody to answer. An ACK is never answered (RFC 3261 §17.2.1).
        if (message.headers.via === undefined || message.headers.via.length === 0 || message.method === 'ACK') {
          drop(conn, 'dropped a request that cannot be answered', { reason: why, from });
          return;
        }
        const rs = makeResponse(message, 400, undefined, { toTag: generateTag(), headers: { warning: `399 - "${why}"` } });
        noteMalformed(conn, answer(serializeMessage(rs), remote, reply));
        return;
      }
      stampReceived(message, remote);
      stats.requestsReceived++;
      if (conn !== undefined) ctx.onValidMessage?.(conn);
      safely(logger, 'onRequest', () => {
        handlers.onRequest(message, remote);
      });
      return;
    }
    if (why !== undefined) {
      drop(conn, 'dropped a response', { reason: why, from });
      return;
    }
    stats.responsesReceived++;
    if (conn !== undefined) ctx.onValidMessage?.(conn);
    safely(logger, 'onResponse', () => {
      handlers.onResponse(message, remote);
    });
  };
}
