/**
 * The classic `send(request)` route handling, with its bugs fixed: a string Route is parsed, our
 * own Routes are removed (a flow token in one names the flow to send over), a strict router gets
 * the RFC 3261 §12.2.1.1 rewrite, and the next hop is computed after all of that.
 * @see RFC 3261 §8.1.2, §12.2.1.1, §16.4; RFC 5626 §5.3
 */
import { isSipUri, parseNameAddrList, parseUri, type RouteEntry, type SipRequest, type SipUri, type Uri } from '@sipts/message';
import type { FlowCodec } from './flow.js';
import type { Remote } from './layers.js';

/** What the stack instance knows about itself, for "is this hop me?". */
export interface Self {
  /** The host of a URI names this instance (its hostname, addresses, public address). */
  isMyHost(host: string): boolean;
  /** The port of a URI names one of this instance's listeners (`undefined`: the default port). */
  isMyPort(port: number | undefined, secure: boolean): boolean;
  readonly flows: FlowCodec;
}

/** Where the request goes: a flow of ours, or the URI to resolve (RFC 3263). */
export type NextHop = { flow: Remote } | { uri: string | Uri; isFlowHost: boolean };

/** The parsed Route of `rq` (a string Route is parsed in place; an unparseable one is removed). */
function routeOf(rq: SipRequest): RouteEntry[] | undefined {
  const route = rq.headers.route as RouteEntry[] | string | undefined;
  if (typeof route !== 'string') return route;
  try {
    const parsed: RouteEntry[] = parseNameAddrList(route).map((e) => ({ ...e, uri: parseUri(e.uri) ?? e.uri }));
    rq.headers.route = parsed;
    return parsed;
  } catch {
    delete rq.headers.route;
    return undefined;
  }
}

function isMe(self: Self, uri: Uri | undefined): uri is SipUri {
  return uri !== undefined && isSipUri(uri) && self.isMyHost(uri.host) && self.isMyPort(uri.port, uri.schema === 'sips');
}

/**
 * Applies the route rules to `rq` (in place, as the classic library did) and returns its next hop.
 * @example const hop = routeRequest(rq, self) // { uri: 'sip:bob@example.com' } or { flow }
 */
export function routeRequest(rq: SipRequest, self: Self): NextHop {
  const route = routeOf(rq);
  const isFlowHost = (u: SipUri): boolean => self.isMyHost(u.host);
  // §16.4: our own Routes come off; one that carries a flow token says which flow to use.
  while (route !== undefined && route.length > 0) {
    const first = route[0] as RouteEntry;
    const uri = parseUri(first.uri);
    const flow = self.flows.decode(uri, isFlowHost);
    if (flow === undefined && !isMe(self, uri)) break;
    route.shift();
    if (flow !== undefined) {
      if (route.length === 0) delete rq.headers.route;
      return { flow };
    }
  }
  if (route !== undefined && route.length === 0) delete rq.headers.route;
  const first = route?.[0];
  if (route !== undefined && first !== undefined) {
    const uri = parseUri(first.uri);
    if (uri !== undefined && isSipUri(uri) && uri.params.lr === undefined) {
      // §12.2.1.1 strict router: it becomes the Request-URI, the Request-URI the last Route.
      route.shift();
      route.push({ uri: rq.uri, params: {} });
      rq.uri = uri;
      return { uri, isFlowHost: isFlowHost(uri) };
    }
    if (uri !== undefined) return { uri, isFlowHost: isSipUri(uri) && isFlowHost(uri) };
  }
  const target = parseUri(rq.uri);
  if (target !== undefined && isSipUri(target)) {
    const flow = self.flows.decode(target, isFlowHost);
    if (flow !== undefined) return { flow };
    return { uri: target, isFlowHost: isFlowHost(target) };
  }
  return { uri: rq.uri, isFlowHost: false };
}
