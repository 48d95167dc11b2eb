/**
 * The location service behind the registrar (RFC 3261 §10.3) and the router: one interface, two
 * real implementations (SQLite for one instance, Redis for several that share registrations).
 * Every method is async so that both fit; times are epoch milliseconds passed in by the caller
 * (an injected clock), never read inside a store.
 */
import type { NonceCountStore } from '@sipts/digest';

/** One registered contact of an address of record. */
export interface Binding {
  /** The address of record, canonical form `sip:user@domain` (lower-case domain, no params). */
  aor: string;
  /**
   * Identity of the binding within its AOR: `<+sip.instance>;reg-id` for RFC 5626 registrations,
   * else the Contact URI as registered (RFC 3261 §10.3 step 7 compares the URIs).
   */
  key: string;
  /** The Contact URI as the UA sent it. */
  contact: string;
  /** q-value 0..1 (default 1). */
  q: number;
  /** When the binding expires (epoch ms). */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** RFC 5626 `+sip.instance` value, without the angle brackets' quotes. */
  instanceId?: string;
  /** RFC 5626 `reg-id`. */
  regId?: number;
  /** RFC 3327 Path header values, in order, that requests to this contact must be routed through. */
  path: string[];
  /**
   * The flow the REGISTER arrived on (RFC 5626 §5.2), when requests must reuse it: for clients
   * behind NAT or on connection-oriented transports (WS, TCP, TLS). Opaque to the store.
   */
  flow?: FlowRef;
  /** The id of the server instance that owns `flow` (several instances share one store). */
  owner: string;
  /** The source address of the REGISTER, `proto:address:port`, for logs and the metrics page. */
  source: string;
  /** Extra Contact params to echo in the 200 (e.g. `+sip.instance`, `reg-id`, `ob`). */
  contactParams?: Record<string, string | null>;
}

/** A flow: enough to send on the same connection or 5-tuple again. */
export interface FlowRef {
  /** Unique id of the flow at its owner (e.g. a connection id). */
  id: string;
  protocol: 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';
  address: string;
  port: number;
  local?: { address: string; port: number };
}

/** The location service. */
export interface LocationStore {
  /**
   * The unexpired bindings of an AOR at `now` (live while `expiresAt > now`), highest q first,
   * equal q-values by key in code-unit order (the same order in every store).
   */
  lookup(aor: string, now: number): Promise<Binding[]>;
  /**
   * Applies one REGISTER's changes atomically: removals first, then upserts by (aor, key).
   * Returns the unexpired bindings after the change (for the 200's Contact list).
   * A `put` whose `expiresAt <= now` deletes its key; every `put` must have `aor` equal to the
   * argument (else the call rejects and nothing changes).
   */
  update(aor: string, change: { put: Binding[]; remove: string[] }, now: number): Promise<Binding[]>;
  /** Removes every binding of an AOR (`Contact: *`, `Expires: 0`). */
  removeAll(aor: string): Promise<void>;
  /**
   * Removes the bindings that use a flow that closed (RFC 5626 §5.3): those whose `owner` and
   * `flow.id` match, expired-but-not-purged ones included. Returns how many.
   */
  removeFlow(owner: string, flowId: string): Promise<number>;
  /** Deletes expired bindings; returns how many. Stores may also expire lazily. */
  purgeExpired(now: number): Promise<number>;
  /** Number of unexpired bindings (for metrics). */
  count(now: number): Promise<number>;
  /** Releases connections/handles. */
  close(): Promise<void>;
  /**
   * For a store several instances share (Redis): digest nonce counts per user, so a nonce used on
   * one instance is a replay on every other. Absent: each instance counts in its own memory.
   */
  nonceCounts?: NonceCountStore;
  /**
   * For a store several instances share (Redis): the server secret, kept in the store. The first
   * instance's `candidate` is stored; every call returns the stored one.
   */
  sharedSecret?(candidate: string): Promise<string>;
}
