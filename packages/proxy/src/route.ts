/**
 * Route processing of a received request (RFC 3261 §16.4): undoing a strict router's rewrite and
 * removing this proxy's own Route entries, before the route callback sees the request.
 * @see RFC 3261 §16.4, §16.12.1.2
 */
import { isSipUri, parseUri, type RouteEntry, type SipRequest } from '@sipts/message';
import type { OwnAddresses } from './addresses.js';
import { uriText } from './loop.js';

/**
 * Applies §16.4 to `request`. When the Request-URI is an address we put in a Record-Route (ours,
 * with no user part) and there is a Route, a strict router put it there: the last Route becomes
 * the Request-URI. Then every leading Route entry naming this proxy is removed (the classic
 * library answered 500 to those). The Route array is replaced, never changed in place (it may be
 * shared with the request as received). Returns the entries removed, top first: what they say (a
 * flow token in the user part, a dialog token in a parameter) is the route callback's to read.
 * @example const removed = processRoutes(copy, own) // copy.headers.route no longer starts with us
 * @see RFC 3261 §16.4
 */
export function processRoutes(request: SipRequest, own: OwnAddresses): RouteEntry[] {
  const given = request.headers.route;
  if (given === undefined || given.length === 0) return [];
  let routes = given;
  const ruri = parseUri(request.uri);
  if (isSipUri(ruri) && ruri.user === undefined && own.isOwnUri(ruri)) {
    const last = routes[routes.length - 1];
    routes = routes.slice(0, -1);
    if (last !== undefined) request.uri = uriText(last.uri);
  }
  let n = 0;
  while (n < routes.length && own.isOwnUri((routes[n] as RouteEntry).uri)) n++;
  const removed = routes.slice(0, n);
  if (n > 0) routes = routes.slice(n);
  if (routes.length === 0) delete request.headers.route;
  else if (routes !== given) request.headers.route = routes;
  return removed;
}
