/**
 * The transport layer's connections (TCP, TLS, WS, WSS, both directions), found by flow id and by
 * `protocol/address/port`, with the total and per-address limits.
 * @see RFC 3261 §18 (connection reuse), RFC 5626 (flows)
 */
import { canonicalIp } from '../receive.js';
import type { TransportLimits, TransportProtocol } from '../types.js';
import type { Connection } from './connection.js';

/** The pool key of a remote endpoint: `TCP/192.0.2.1/5060`. */
export function poolKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}/${canonicalIp(address)}/${String(port)}`;
}

/** Open connections by flow id and by remote endpoint. */
export class ConnectionPool {
  readonly #byFlow = new Map<string, Connection>();
  readonly #byKey = new Map<string, Connection>();
  readonly #perAddress = new Map<string, number>();
  readonly #limits: Required<TransportLimits>;
  #emptyWaiters: (() => void)[] = [];

  constructor(limits: Required<TransportLimits>) {
    this.#limits = limits;
  }

  /** Open connections. */
  get size(): number {
    return this.#byFlow.size;
  }

  /** True when one more connection from (or to) `address` fits the limits. */
  admit(address: string, perAddress = true): boolean {
    if (this.#byFlow.size >= this.#limits.maxConnections) return false;
    return !perAddress || (this.#perAddress.get(canonicalIp(address)) ?? 0) < this.#limits.maxConnectionsPerAddress;
  }

  /**
   * Adds a connection if the limits allow (inbound: total and per address; outbound: total only).
   * @returns false when a limit refuses it (the caller closes it)
   */
  add(conn: Connection): boolean {
    const flowId = conn.remote.flowId;
    if (flowId === undefined || !this.admit(conn.remote.address, !conn.outbound)) return false;
    const address = canonicalIp(conn.remote.address);
    this.#byFlow.set(flowId, conn);
    this.#byKey.set(poolKey(conn.protocol, address, conn.remote.port), conn);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    return true;
  }

  /** Removes a connection; false when it was not in the pool. */
  remove(conn: Connection): boolean {
    const flowId = conn.remote.flowId;
    if (flowId === undefined || this.#byFlow.get(flowId) !== conn) return false;
    this.#byFlow.delete(flowId);
    const address = canonicalIp(conn.remote.address);
    const key = poolKey(conn.protocol, address, conn.remote.port);
    if (this.#byKey.get(key) === conn) {
      this.#byKey.delete(key);
      // Another open connection to the same endpoint takes over the key.
      for (const other of this.#byFlow.values()) {
        if (poolKey(other.protocol, other.remote.address, other.remote.port) === key) {
          this.#byKey.set(key, other);
          break;
        }
      }
    }
    const n = (this.#perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, n);
    if (this.#byFlow.size === 0) for (const w of this.#emptyWaiters.splice(0)) w();
    return true;
  }

  /** The connection with this flow id, if open. */
  byFlow(flowId: string): Connection | undefined {
    return this.#byFlow.get(flowId);
  }

  /** An open connection to (or from) this endpoint. */
  find(protocol: TransportProtocol, address: string, port: number): Connection | undefined {
    return this.#byKey.get(poolKey(protocol, address, port));
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
