/**
 * The transport layer's connections (TCP, TLS, WS, WSS, both directions), found by flow id and by
 * `protocol/address/port`, with the total, per-address and per-IPv6-/64 limits. Adding and
 * removing a connection are O(1): closing thousands at once must not stall the event loop.
 * @see RFC 3261 §18 (connection reuse), RFC 5626 (flows)
 */
import { canonicalIp, ipv6Prefix64 } from '../receive.js';
import type { TransportLimits, TransportProtocol } from '../types.js';
import type { Connection } from './connection.js';

/** The pool key of a remote endpoint: `TCP/192.0.2.1/5060`. */
export function poolKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}/${canonicalIp(address)}/${String(port)}`;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

/** Open connections by flow id and by remote endpoint. */
export class ConnectionPool {
  readonly #byFlow = new Map<string, Connection>();
  /** Every open connection per endpoint, oldest first (a Set keeps insertion order). */
  readonly #byKey = new Map<string, Set<Connection>>();
  readonly #perAddress = new Map<string, number>();
  readonly #perPrefix = new Map<string, number>();
  readonly #limits: Required<TransportLimits>;
  #emptyWaiters: (() => void)[] = [];

  constructor(limits: Required<TransportLimits>) {
    this.#limits = limits;
  }

  /** Open connections. */
  get size(): number {
    return this.#byFlow.size;
  }

  /** True when one more connection from (or to) `address` fits the limits (inbound: per address and per IPv6 /64 too). */
  admit(address: string, perAddress = true): boolean {
    if (this.#byFlow.size >= this.#limits.maxConnections) return false;
    if (!perAddress) return true;
    if ((this.#perAddress.get(canonicalIp(address)) ?? 0) >= this.#limits.maxConnectionsPerAddress) return false;
    const prefix = ipv6Prefix64(address);
    return prefix === undefined || (this.#perPrefix.get(prefix) ?? 0) < this.#limits.maxConnectionsPerIpv6Prefix;
  }

  /**
   * Adds a connection if the limits allow (inbound: total, per address and per /64; outbound:
   * total only).
   * @returns false when a limit refuses it (the caller closes it)
   */
  add(conn: Connection): boolean {
    const flowId = conn.remote.flowId;
    if (flowId === undefined || !this.admit(conn.remote.address, !conn.outbound)) return false;
    const address = canonicalIp(conn.remote.address);
    this.#byFlow.set(flowId, conn);
    const key = poolKey(conn.protocol, address, conn.remote.port);
    let same = this.#byKey.get(key);
    if (same === undefined) this.#byKey.set(key, (same = new Set()));
    same.add(conn);
    increment(this.#perAddress, address);
    const prefix = ipv6Prefix64(address);
    if (prefix !== undefined) increment(this.#perPrefix, prefix);
    return true;
  }

  /** Removes a connection in O(1); false when it was not in the pool. */
  remove(conn: Connection): boolean {
    const flowId = conn.remote.flowId;
    if (flowId === undefined || this.#byFlow.get(flowId) !== conn) return false;
    this.#byFlow.delete(flowId);
    const address = canonicalIp(conn.remote.address);
    const key = poolKey(conn.protocol, address, conn.remote.port);
    const same = this.#byKey.get(key);
    if (same !== undefined) {
      // Another open connection to the same endpoint, if any, takes over the key.
      same.delete(conn);
      if (same.size === 0) this.#byKey.delete(key);
    }
    decrement(this.#perAddress, address);
    const prefix = ipv6Prefix64(address);
    if (prefix !== undefined) decrement(this.#perPrefix, prefix);
    if (this.#byFlow.size === 0) for (const w of this.#emptyWaiters.splice(0)) w();
    return true;
  }

  /** The connection with this flow id, if open. */
  byFlow(flowId: string): Connection | undefined {
    return this.#byFlow.get(flowId);
  }

  /**
   * An open connection to (or from) this endpoint: the newest, when there are several (rare: an
   * inbound and an outbound one to the same address and port; each inbound peer port is its own key).
   */
  find(protocol: TransportProtocol, address: string, port: number): Connection | undefined {
    const same = this.#byKey.get(poolKey(protocol, address, port));
    let newest: Connection | undefined;
    if (same !== undefined) for (const conn of same) newest = conn;
    return newest;
  }

  /** Every open connection. */
  all(): Connection[] {
    return [...this.#byFlow.values()];
  }

  /** Resolves when the pool is empty. */
  whenEmpty(): Promise<void> {
    if (this.#byFlow.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }
}
