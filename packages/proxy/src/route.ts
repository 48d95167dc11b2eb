/**
 * Route processing of a received request (RFC 3261 §16.4): undoing a strict router's rewrite and
 * removing this proxy's own Route entries, before the route callback sees the request.
 * @see RFC 3261 §16.4, §16.12.1.2
 */
import { isSipUri, parseUri, type SipRequest } from '@sipts/message';
import type { OwnAddresses } from './addresses.js';
import { uriText } from './loop.js';

/**
 * Applies §16.4 to `request` in place. When the Request-URI is an address we put in a
 * Record-Route (ours, with no user part) and there is a Route, a strict router put it there: the
 * last Route becomes the Request-URI. Then every leading Route entry naming this proxy is removed
 * (the classic library answered 500 to those).
 * @example processRoutes(copy, own) // copy.headers.route no longer starts with us
 * @see RFC 3261 §16.4
 */
export function processRoutes(request: SipRequest, own: OwnAddresses): void {
  const routes = request.headers.route;
  if (routes === undefined) return;
  const ruri = parseUri(request.uri);
  if (routes.length > 0 && isSipUri(ruri) && ruri.user === undefined && own.isOwnUri(ruri)) {
    const last = routes.pop();
    if (last !== undefined) request.uri = uriText(last.uri);
  }
  while (routes.length > 0 && routes[0] !== undefined && own.isOwnUri(routes[0].uri)) routes.shift();
  if (routes.length === 0) delete request.headers.route;
}
