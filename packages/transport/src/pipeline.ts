/**
 * The one receive pipeline every transport feeds, Node's UDP/TCP/TLS/WS and the browser's
 * WebSocket client alike (RFC 3261 §18.2.1, §18.1.2, RFC 3581 §4): trace, parse with the
 * configured limits, answer a bad request 400 where it came from (the 400 is built in one place,
 * `bad-request.ts`), drop and count bad responses and garbage, check the mandatory headers, stamp
 * `received` and `rport`, count, and hand the message up. Malformed messages are counted per
 * connection, which is closed past `maxMalformedPerConnection`. Nothing a handler throws escapes.
 *
 * What reaches {@link TransportHandlers} has passed the mandatory-header check: the layers above
 * do not check again.
 * @see RFC 3261 §18.2.1, §8.2.2, RFC 3581 §4
 */
import { isRequest, safeParseMessage, type SipMessage } from '@sipts/message';
import { badRequestFor, badRequestTo } from './bad-request.js';
import { checkMandatoryHeaders, stampReceived } from './receive.js';
import { safely } from './safely.js';
import type { Logger, Remote, TraceHook, TransportHandlers, TransportLimits, TransportStats } from './types.js';

/**
 * Where a message came from, as the pipeline needs it: a UDP socket or a browser's WebSocket
 * (one object for all its messages), or one connection. Created once per socket or connection,
 * never per message.
 */
export interface MessageSource {
  /** `stream` for TCP/TLS (Content-Length is mandatory, RFC 3261 §18.3), else `datagram`. */
  readonly framing: 'datagram' | 'stream';
  /**
   * Sends bytes back where a message came from (UDP: the packet source; a connection: itself).
   * Throws or rejects on failure.
   */
  reply(bytes: Uint8Array, remote: Remote): void | Promise<void>;
  /** Present on connections: malformed messages are counted per source, and it is closed past the limit. */
  close?(): void;
}

/** What the pipeline needs from its transport. */
export interface ReceiverContext<S extends MessageSource> {
  limits: Required<TransportLimits>;
  logger: Logger;
  trace: TraceHook | undefined;
  stats: TransportStats;
  handlers: TransportHandlers;
  /** A source delivered a valid message (parsed, mandatory headers present). */
  onValidMessage?: (source: S) => void;
}

/** Feeds one whole message's bytes through the pipeline. */
export type Receive<S extends MessageSource> = (bytes: Uint8Array, remote: Remote, source: S) => void;

/** A fresh set of transport counters, all zero. */
export function newTransportStats(): TransportStats {
  return {
    requestsReceived: 0,
    responsesReceived: 0,
    badRequestsAnswered: 0,
    dropped: 0,
    keepAlivesAnswered: 0,
    stunRequestsAnswered: 0,
    keepAlivesSent: 0,
    stunResponsesReceived: 0,
    messagesSent: 0,
    sendErrors: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsRejected: 0,
    silentConnectionsClosed: 0,
  };
}

/**
 * Creates the receive pipeline of one transport.
 * @example const receive = createReceiver({ limits, logger, trace, stats, handlers }); receive(bytes, remote, udpSource)
 * @see RFC 3261 §18.2.1
 */
export function createReceiver<S extends MessageSource>(ctx: ReceiverContext<S>): Receive<S> {
  const { limits, logger, trace, stats, handlers } = ctx;
  const parseOptions = { maxHeaderBytes: limits.maxHeaderBytes, maxHeaderCount: limits.maxHeaderCount, maxBodyBytes: limits.maxBodyBytes };
  const datagram = { framing: 'datagram' as const, ...parseOptions };
  const stream = { framing: 'stream' as const, ...parseOptions };
  const malformed = new WeakMap<MessageSource, number>();

  /** Counts a malformed message from a connection; past the limit, closes it once `pending` settles. */
  function noteMalformed(source: MessageSource, pending: Promise<unknown> | undefined): void {
    if (source.close === undefined) return;
    const n = (malformed.get(source) ?? 0) + 1;
    malformed.set(source, n);
    if (n !== limits.maxMalformedPerConnection) return;
    logger.info('closing a connection that sent too many malformed messages', { count: n });
    stats.connectionsRejected++;
    const shut = (): void => {
      source.close?.();
    };
    if (pending === undefined) shut();
    else void pending.finally(shut);
  }

  function sent(bytes: Uint8Array, remote: Remote): void {
    stats.messagesSent++;
    if (trace?.onSend !== undefined) safely(logger, 'trace.onSend', () => trace.onSend?.(bytes, remote));
  }

  function failed(e: unknown): void {
    stats.sendErrors++;
    logger.debug('could not send a 400', { error: e });
  }

  /** Sends a 400; returns the Promise of a send still under way (to close its connection after it). */
  function answer(bytes: Uint8Array, remote: Remote, source: MessageSource): Promise<void> | undefined {
    stats.badRequestsAnswered++;
    let out: void | Promise<void>;
    try {
      out = source.reply(bytes, remote);
    } catch (e) {
      failed(e);
      return undefined;
    }
    if (out === undefined) {
      sent(bytes, remote);
      return undefined;
    }
    return out.then(
      () => {
        sent(bytes, remote);
      },
      failed,
    );
  }

  function drop(source: MessageSource, what: string, attrs: Record<string, unknown>): void {
    stats.dropped++;
    logger.debug(what, attrs);
    noteMalformed(source, undefined);
  }

  function from(remote: Remote): string {
    return `${remote.protocol} ${remote.address}:${String(remote.port)}`;
  }

  return (bytes, remote, source) => {
    if (trace?.onReceive !== undefined) safely(logger, 'trace.onReceive', () => trace.onReceive?.(bytes, remote));
    const parsed = safeParseMessage(bytes, source.framing === 'stream' ? stream : datagram);
    if (!parsed.ok) {
      const rs = badRequestFor(bytes, parsed.error.message, parsed.error.status ?? 400);
      if (rs === undefined) {
        drop(source, 'dropped a message that failed parsing', { error: parsed.error.message, from: from(remote) });
        return;
      }
      logger.debug('answering a malformed request with 400', { error: parsed.error.message, from: from(remote) });
      noteMalformed(source, answer(rs, remote, source));
      return;
    }
    const message: SipMessage = parsed.message;
    const why = checkMandatoryHeaders(message);
    if (isRequest(message)) {
      if (why !== undefined) {
        const rs = badRequestTo(message, why);
        if (rs === undefined) {
          drop(source, 'dropped a request that cannot be answered', { reason: why, from: from(remote) });
          return;
        }
        noteMalformed(source, answer(rs, remote, source));
        return;
      }
      stampReceived(message, remote);
      stats.requestsReceived++;
      ctx.onValidMessage?.(source);
      // Per message: safely()'s contract written inline, so no closure is made for each one.
      try {
        handlers.onRequest(message, remote);
      } catch (e) {
        logger.error('onRequest threw', { error: e });
      }
      return;
    }
    if (why !== undefined) {
      drop(source, 'dropped a response', { reason: why, from: from(remote) });
      return;
    }
    stats.responsesReceived++;
    ctx.onValidMessage?.(source);
    try {
      handlers.onResponse(message, remote);
    } catch (e) {
      logger.error('onResponse threw', { error: e });
    }
  };
}
