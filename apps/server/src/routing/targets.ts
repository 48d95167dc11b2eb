/**
 * From bindings to forwarding targets (RFC 3261 §16.5, §16.6): the contact as Request-URI, its
 * q-value, its Path as a pre-loaded Route (RFC 3327 §5.3), and the flow (RFC 5626 §5.3) when this
 * instance owns it. A binding owned by another instance is reached through that instance: the
 * first entry of its path is the owner's Route with a signed flow token.
 * @see RFC 3261 §16.5, RFC 3327 §5.3, RFC 5626 §5.3
 */
import { parseUri, type RouteEntry, type Uri } from '@sipts/message';
import type { ForwardTarget } from '@sipts/proxy';
import type { Target } from '@sipts/transport';
import { targetOf } from '../flows.js';
import type { Binding } from '../store/index.js';

/** What target selection needs to know about this instance. */
export interface TargetContext {
  instanceId: string;
  /** True for a URI naming this instance (its listening addresses and aliases). */
  isOwnUri: (uri: string | Uri) => boolean;
  /** The flow a token we signed names. */
  targetOfToken: (token: string) => Target | undefined;
  /** True while a connection this instance holds a binding's flow on is open. */
  isLiveFlow: (flowId: string) => boolean;
}

function entry(uri: string): RouteEntry {
  return { uri: parseUri(uri) ?? uri, params: {} };
}

function userOf(uri: string): string | undefined {
  const u = parseUri(uri);
  return u !== undefined && 'user' in u && typeof u.user === 'string' ? u.user : undefined;
}

/** True for a contact that cannot be reached except over its flow (RFC 7118 §5: `*.invalid`). */
function needsFlow(contact: string): boolean {
  const u = parseUri(contact);
  return u === undefined || !('host' in u) || u.host.toLowerCase().endsWith('.invalid');
}

/**
 * The forwarding target of one binding, or undefined when it cannot be reached (its flow is gone).
 * @example bindings.map((b) => targetOfBinding(b, ctx)).filter(Boolean)
 */
export function targetOfBinding(b: Binding, ctx: TargetContext): ForwardTarget | undefined {
  const first = b.path[0];
  const ownsFlow = b.flow !== undefined && (b.owner === ctx.instanceId || (first !== undefined && ctx.isOwnUri(first)));
  if (!ownsFlow) return { uri: b.contact, q: b.q, route: b.path.map(entry) };
  const rest = b.path.filter((p) => !ctx.isOwnUri(p)).map(entry);
  if (b.owner === ctx.instanceId && b.flow !== undefined) {
    if (b.flow.protocol === 'UDP' || ctx.isLiveFlow(b.flow.id)) return { uri: b.contact, q: b.q, target: targetOf(b.flow), route: rest };
    // The connection closed (a plain RFC 3261 TCP/TLS binding outlives it): its Contact, if routable.
    return needsFlow(b.contact) ? undefined : { uri: b.contact, q: b.q, route: rest };
  }
  // Ours from an earlier run (the instance id changed on restart): a UDP flow is still its
  // 5-tuple; a connection is gone, so only a routable contact is left.
  const token = first === undefined ? undefined : userOf(first);
  const target = token === undefined ? undefined : ctx.targetOfToken(token);
  if (target !== undefined && target.protocol === 'UDP') return { uri: b.contact, q: b.q, target, route: rest };
  if (needsFlow(b.contact)) return undefined;
  return { uri: b.contact, q: b.q, route: rest };
}
