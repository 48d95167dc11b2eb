/**
 * STUN on the SIP UDP port (RFC 5626 §8, RFC 7983-style demultiplexing): a datagram that is STUN
 * is taken out before SIP parsing. A Binding request is answered with the source address in
 * XOR-MAPPED-ADDRESS (§4.4.2 clients keep their NAT binding alive this way); a Binding response
 * goes to the flow keep-alive that sent the request; anything else is counted and dropped.
 * @see RFC 5626 §8, RFC 5389 §7.3
 */
import { decodeStun, STUN_BINDING_REQUEST, stunBindingSuccess, type StunMessage } from '../stun.js';
import type { Logger, Remote, TransportStats } from '../types.js';

/** What the STUN handler needs from its layer. */
export interface UdpStunContext {
  stats: TransportStats;
  logger: Logger;
  /** A STUN response for one of our keep-alives; true when a flow took it. */
  onResponse(message: StunMessage, remote: Remote): boolean;
  /** A Binding request was answered (a client's keep-alive). */
  onAnswered(remote: Remote): void;
}

/**
 * Handles one STUN datagram (the caller checked `isStunMessage`).
 * @example if (isStunMessage(bytes)) handle(bytes, remote, (rs) => endpoint.send(rs, remote.address, remote.port))
 * @see RFC 5389 §7.3.1
 */
export function createUdpStunHandler(ctx: UdpStunContext): (bytes: Uint8Array, remote: Remote, reply: (bytes: Uint8Array) => Promise<void>) => void {
  const { stats, logger } = ctx;
  const from = (r: Remote): string => `${r.address}:${String(r.port)}`;
  return (bytes, remote, reply) => {
    let message: StunMessage;
    try {
      message = decodeStun(bytes);
    } catch (e) {
      stats.dropped++;
      logger.debug('dropped a malformed STUN message', { error: e instanceof Error ? e.message : String(e), from: from(remote) });
      return;
    }
    const cls = message.type & 0x0110;
    if (message.type === STUN_BINDING_REQUEST) {
      stats.stunRequestsAnswered++;
      stats.keepAlivesAnswered++;
      reply(stunBindingSuccess(message, { address: remote.address, port: remote.port })).then(
        () => {
          stats.messagesSent++;
        },
        (e: unknown) => {
          stats.sendErrors++;
          logger.debug('could not answer a STUN Binding request', { error: e, from: from(remote) });
        },
      );
      ctx.onAnswered(remote);
      return;
    }
    if ((cls === 0x0100 || cls === 0x0110) && ctx.onResponse(message, remote)) {
      stats.stunResponsesReceived++;
      return;
    }
    // Indications, other methods, and answers to nothing we asked: dropped (RFC 5389 §7.3).
    stats.dropped++;
    logger.debug('dropped a STUN message', { type: message.type, from: from(remote) });
  };
}
