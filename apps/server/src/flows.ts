/**
 * Flows (RFC 5626): the connection or UDP 5-tuple a registration arrived on, kept in the binding
 * so that requests reach clients behind NAT and WebSocket clients (RFC 7118 §5) on that same
 * flow; the signed flow tokens other instances put in a Route to reach a flow this instance
 * owns; and the contacts seen on flows, for in-dialog requests to `.invalid` WebSocket contacts.
 * @see RFC 5626 §5.2, §5.3, §6; RFC 7118 §5
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Remote, Target, TransportProtocol } from '@sipts/transport';
import type { FlowRef } from './store/types.js';

const PROTOCOLS: readonly TransportProtocol[] = ['UDP', 'TCP', 'TLS', 'WS', 'WSS'];

/** The flow a request arrived on, as stored in a binding. */
export function flowOf(remote: Remote): FlowRef {
  return {
    id: remote.flowId ?? `udp:${remote.address}:${String(remote.port)}`,
    protocol: remote.protocol,
    address: remote.address,
    port: remote.port,
    local: { address: remote.local.address, port: remote.local.port },
  };
}

/** Where to send to reach a stored flow (a connection is reused by its id; UDP by its 5-tuple). */
export function targetOf(flow: FlowRef): Target {
  return { protocol: flow.protocol, address: flow.address, port: flow.port, ...(flow.protocol !== 'UDP' ? { flowId: flow.id } : {}) };
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A bounded map (oldest entries dropped first). */
class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  constructor(readonly limit: number) {}
  get(key: K): V | undefined {
    return this.#map.get(key);
  }
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.limit) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
  delete(key: K): void {
    this.#map.delete(key);
  }
}

/** Flow tokens and the contact-to-flow memory of one instance. */
export interface FlowTable {
  /**
   * A token naming `flow` at this instance, signed so that a Route cannot make us send anywhere
   * else: the user part of the Route other instances use to reach it (RFC 5626 §5.3 style).
   */
  tokenOf(flow: FlowRef): string;
  /** The target a token names, or undefined for a token we did not sign. */
  targetOfToken(token: string): Target | undefined;
  /** Remembers that `contact` (a Contact URI seen on a flow) is reached over `target`. */
  rememberContact(contact: string, target: Target): void;
  /** The flow a contact was seen on, if it is still remembered. */
  contactTarget(contact: string): Target | undefined;
  /**
   * A registration kept connection `flowId`; `removeOnClose`: its bindings go when it closes
   * (RFC 5626 outbound, and WebSocket clients, RFC 7118 §5), else they stay until they expire
   * (RFC 3261 §10.3) and are reached by their Contact once the connection is gone.
   */
  bindFlow(flowId: string, removeOnClose: boolean): void;
  /** True while a connection this instance registered a binding on is open. */
  isLive(flowId: string): boolean;
  /**
   * A connection closed: forget the contacts seen on it. Returns whether bindings that used it
   * must be removed.
   */
  forgetFlow(flowId: string): boolean;
}

/**
 * Creates the flow table; `secret` signs the tokens (default: random per process).
 * @example const t = flows.tokenOf(flowOf(remote)); flows.targetOfToken(t) // { protocol: 'WS', flowId, … }
 */
export function createFlowTable(options: { secret?: string | undefined; maxContacts?: number } = {}): FlowTable {
  const key = options.secret !== undefined ? Buffer.from(`sipts-flow\0${options.secret}`) : randomBytes(32);
  const contacts = new BoundedMap<string, Target>(options.maxContacts ?? 50_000);
  /** The contacts remembered per connection, to forget them when it closes. */
  const byFlow = new Map<string, Set<string>>();
  /** Connections with bindings registered on them, and whether those bindings die with them. */
  const live = new Map<string, boolean>();
  const mac = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest().subarray(0, 12);
  return {
    tokenOf(flow) {
      const payload = b64url(Buffer.from([flow.protocol, flow.address, String(flow.port), flow.protocol === 'UDP' ? '' : flow.id].join('|')));
      return `${payload}.${b64url(mac(payload))}`;
    },
    targetOfToken(token) {
      const dot = token.indexOf('.');
      if (dot <= 0 || token.length > 512) return undefined;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const [protocol, address, port, flowId] = Buffer.from(payload, 'base64url').toString('utf8').split('|');
      const p = PROTOCOLS.find((x) => x === protocol);
      const n = Number(port);
      if (p === undefined || address === undefined || address === '' || !Number.isInteger(n)) return undefined;
      return { protocol: p, address, port: n, ...(flowId !== undefined && flowId !== '' ? { flowId } : {}) };
    },
    rememberContact(contact, target) {
      contacts.set(contact, target);
      if (target.flowId === undefined) return;
      let set = byFlow.get(target.flowId);
      if (set === undefined) byFlow.set(target.flowId, (set = new Set()));
      set.add(contact);
    },
    contactTarget(contact) {
      return contacts.get(contact);
    },
    bindFlow(flowId, removeOnClose) {
      live.set(flowId, (live.get(flowId) ?? false) || removeOnClose);
    },
    isLive(flowId) {
      return live.has(flowId);
    },
    forgetFlow(flowId) {
      for (const contact of byFlow.get(flowId) ?? []) if (contacts.get(contact)?.flowId === flowId) contacts.delete(contact);
      byFlow.delete(flowId);
      const removeOnClose = live.get(flowId) ?? false;
      live.delete(flowId);
      return removeOnClose;
    },
  };
}
