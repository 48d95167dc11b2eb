/**
 * The first-message deadline of inbound connections: a connection that has not delivered a valid
 * SIP message `firstMessageTimeoutMs` after it opened is closed. Until then a peer holds a
 * connection slot for free; after it, the (long) idle limit applies. One timer per silent
 * connection, cleared in O(1) when it speaks or closes.
 * @see RFC 5626 §4.4 (flows are kept for clients that speak), RFC 3261 §18.3
 */
import type { Logger, TransportLimits, TransportStats } from '../types.js';
import type { Connection } from './connection.js';

/** Watches connections until their first valid message. */
export interface FirstMessageWatch {
  /** Starts the deadline of an inbound connection (outbound ones are ours: not watched). */
  watch(conn: Connection): void;
  /** The connection delivered a valid message, or closed: its deadline is over. */
  heard(conn: Connection): void;
  /** Connections still waiting for their first message. */
  readonly size: number;
}

/**
 * Creates the watch of one transport layer.
 * @example const first = createFirstMessageWatch({ limits, stats, logger }); first.watch(conn); … first.heard(conn)
 */
export function createFirstMessageWatch(ctx: { limits: Required<TransportLimits>; stats: TransportStats; logger: Logger }): FirstMessageWatch {
  const { limits, stats, logger } = ctx;
  const silent = new Map<Connection, ReturnType<typeof setTimeout>>();
  return {
    watch(conn) {
      if (conn.outbound || limits.firstMessageTimeoutMs <= 0) return;
      const timer = setTimeout(() => {
        silent.delete(conn);
        stats.connectionsRejected++;
        stats.silentConnectionsClosed++;
        logger.info('closing a connection that sent no valid message in time', { flowId: conn.remote.flowId, ms: limits.firstMessageTimeoutMs });
        conn.close();
      }, limits.firstMessageTimeoutMs);
      timer.unref();
      silent.set(conn, timer);
    },
    heard(conn) {
      const timer = silent.get(conn);
      if (timer === undefined) return;
      clearTimeout(timer);
      silent.delete(conn);
    },
    get size() {
      return silent.size;
    },
  };
}
