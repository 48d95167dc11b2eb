/**
 * Flows (RFC 5626): the connection or UDP 5-tuple a registration arrived on, kept in the binding
 * so that requests reach clients behind NAT and WebSocket clients (RFC 7118 §5) on that same
 * flow; the signed flow tokens other instances put in a Route to reach a flow this instance
 * owns; and the contacts local users were seen with on flows (only from requests they
 * authenticated, per user, bounded), for in-dialog requests to `.invalid` WebSocket contacts.
 * @see RFC 5626 §5.2, §5.3, §6; RFC 7118 §5
 */
import { randomBytes } from 'node:crypto';
import type { Remote, Target } from '@sipts/transport';
import { createFlowTokenCodec } from '@sipts/transport/node';
import type { FlowRef } from './store/types.js';

/**
 * A contact as the contact memory keys it: without the `ob` URI parameter, which a UA adds to
 * the Contact of its dialogs once the registrar does outbound and may not have had in the
 * REGISTER that first showed it (RFC 5626 §4.2.1, §5.4); it names the same UA instance.
 */
export function contactKey(contact: string): string {
  return contact.replace(/;ob(?=[;?>]|$)/gi, '');
}

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

/** Drops the oldest entries of an insertion-ordered map or set down to `limit`; returns them. */
function trim<K>(keys: { size: number; keys(): IterableIterator<K>; delete(k: K): boolean }, limit: number): K[] {
  const dropped: K[] = [];
  while (keys.size > limit) {
    const oldest = keys.keys().next();
    if (oldest.done === true) break;
    keys.delete(oldest.value);
    dropped.push(oldest.value);
  }
  return dropped;
}

/** Bounds of the contact memory. */
export interface FlowTableLimits {
  /** Contacts remembered per user (oldest forgotten first). Default 20. */
  contactsPerUser?: number;
  /** Users with remembered contacts (least recently updated forgotten first). Default 50 000. */
  users?: number;
  /** Contacts tracked per connection. Default 64. */
  contactsPerFlow?: number;
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
  /**
   * Remembers that local user `user`'s `contact` (a Contact URI of a REGISTER or of a request the
   * user authenticated) is reached over `target`. Never call it for unauthenticated requests: the
   * memory decides where in-dialog requests for that user go.
   */
  rememberContact(user: string, contact: string, target: Target): void;
  /** The flow `user`'s contact was seen on, if it is still remembered. */
  contactTarget(user: string, contact: string): Target | undefined;
  /** Contacts remembered, over all users. */
  readonly contacts: number;
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
export function createFlowTable(options: { secret?: string | Uint8Array | undefined; limits?: FlowTableLimits } = {}): FlowTable {
  const s = options.secret;
  const key = s === undefined ? randomBytes(32) : typeof s === 'string' ? Buffer.from(`sipts-flow\0${s}`) : Buffer.concat([Buffer.from('sipts-flow\0'), s]);
  const perUser = options.limits?.contactsPerUser ?? 20;
  const maxUsers = options.limits?.users ?? 50_000;
  const perFlow = options.limits?.contactsPerFlow ?? 64;
  /** user → contact → target, both levels in insertion (age) order. */
  const contacts = new Map<string, Map<string, Target>>();
  let count = 0;
  /** The (user, contact) pairs remembered per connection, to forget them when it closes. */
  const byFlow = new Map<string, Map<string, [string, string]>>();
  const forget = (user: string, contact: string, flowId?: string): void => {
    const mine = contacts.get(user);
    const t = mine?.get(contact);
    if (mine === undefined || t === undefined || (flowId !== undefined && t.flowId !== flowId)) return;
    mine.delete(contact);
    count--;
    if (mine.size === 0) contacts.delete(user);
  };
  /** Connections with bindings registered on them, and whether those bindings die with them. */
  const live = new Map<string, boolean>();
  const tokens = createFlowTokenCodec({ key });
  return {
    tokenOf(flow) {
      // A UDP flow is its 5-tuple: no connection id in the token.
      return tokens.encode({ protocol: flow.protocol, address: flow.address, port: flow.port, ...(flow.protocol === 'UDP' ? {} : { flowId: flow.id }) });
    },
    targetOfToken(token) {
      const flow = tokens.decode(token);
      if (flow === undefined || flow.local !== undefined) return undefined;
      return { protocol: flow.protocol, address: flow.address, port: flow.port, ...(flow.flowId === undefined ? {} : { flowId: flow.flowId }) };
    },
    rememberContact(user, given, target) {
      const contact = contactKey(given);
      let mine = contacts.get(user);
      if (mine === undefined) mine = new Map<string, Target>();
      else contacts.delete(user); // re-inserted: the most recently updated user is last
      contacts.set(user, mine);
      if (mine.delete(contact)) count--;
      mine.set(contact, target);
      count++;
      count -= trim(mine, perUser).length;
      while (contacts.size > maxUsers) {
        const [oldest, theirs] = contacts.entries().next().value ?? [];
        if (oldest === undefined || theirs === undefined) break;
        contacts.delete(oldest);
        count -= theirs.size;
      }
      if (target.flowId === undefined) return;
      let pairs = byFlow.get(target.flowId);
      if (pairs === undefined) byFlow.set(target.flowId, (pairs = new Map<string, [string, string]>()));
      const k = `${user}\0${contact}`;
      pairs.delete(k);
      pairs.set(k, [user, contact]);
      while (pairs.size > perFlow) {
        const [oldest, pair] = pairs.entries().next().value ?? [];
        if (oldest === undefined || pair === undefined) break;
        pairs.delete(oldest);
        forget(pair[0], pair[1], target.flowId);
      }
    },
    contactTarget(user, contact) {
      return contacts.get(user)?.get(contactKey(contact));
    },
    get contacts() {
      return count;
    },
    bindFlow(flowId, removeOnClose) {
      live.set(flowId, (live.get(flowId) ?? false) || removeOnClose);
    },
    isLive(flowId) {
      return live.has(flowId);
    },
    forgetFlow(flowId) {
      const pairs = byFlow.get(flowId);
      if (pairs !== undefined) for (const [user, contact] of pairs.values()) forget(user, contact, flowId);
      byFlow.delete(flowId);
      const removeOnClose = live.get(flowId) ?? false;
      live.delete(flowId);
      return removeOnClose;
    },
  };
}
