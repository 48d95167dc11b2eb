/**
 * What the server does for RFC 5626 outbound phones beyond the registrar: the Flow-Timer it
 * promises (§4.4.1, §5.4: the interval its keep-alives must beat) and the UDP flows it watches.
 * A connection without keep-alives is closed by the transport at `connectionIdleSeconds` (its
 * outbound bindings go with it); a UDP flow has no connection to time out, so the flows of UDP
 * outbound bindings are watched here: a flow that sent nothing (no STUN keep-alive, no request)
 * for `connectionIdleSeconds` is declared failed and its bindings removed (§5.3 style).
 * @see RFC 5626 §4.4.1, §5.3, §8
 */

/**
 * The Flow-Timer in the 200 of an outbound REGISTER: the configured value, but at most three
 * quarters of the idle limit, so that a phone pinging at 100 % of it (plus its round trip) always
 * beats the limit.
 * @example flowTimerSeconds({ flowTimerSeconds: 120, connectionIdleSeconds: 4 }) // 3
 * @see RFC 5626 §4.4.1
 */
export function flowTimerSeconds(limits: { flowTimerSeconds: number; connectionIdleSeconds: number }): number {
  return Math.max(1, Math.min(limits.flowTimerSeconds, Math.floor((limits.connectionIdleSeconds * 3) / 4)));
}

/** The UDP flows of outbound bindings and when each last sent anything. */
export interface UdpFlowWatch {
  /** A binding was registered over this UDP flow (`udp:<address>:<port>`, as in `flowOf`). */
  watch(flowId: string, now: number): void;
  /** Something arrived from `address:port` over UDP (a request, a response, a STUN keep-alive). */
  touch(address: string, port: number, now: number): void;
  /** The flows idle for longer than the limit, forgotten as they are returned. */
  expired(now: number): string[];
  readonly size: number;
}

/**
 * Creates the watch; `max` bounds the table (the oldest flow is forgotten first: its binding then
 * lives until it expires, as a plain RFC 3261 UDP binding does).
 * @example const w = createUdpFlowWatch({ idleMs: 3_900_000, max: 100_000 })
 */
export function createUdpFlowWatch(options: { idleMs: number; max: number }): UdpFlowWatch {
  const lastSeen = new Map<string, number>();
  return {
    watch(flowId, now) {
      lastSeen.delete(flowId);
      lastSeen.set(flowId, now);
      if (lastSeen.size > options.max) {
        const oldest = lastSeen.keys().next();
        if (oldest.done !== true) lastSeen.delete(oldest.value);
      }
    },
    touch(address, port, now) {
      const id = `udp:${address}:${String(port)}`;
      if (lastSeen.has(id)) lastSeen.set(id, now);
    },
    expired(now) {
      const out: string[] = [];
      for (const [id, at] of lastSeen) if (now - at > options.idleMs) out.push(id);
      for (const id of out) lastSeen.delete(id);
      return out;
    },
    get size() {
      return lastSeen.size;
    },
  };
}
