/**
 * What a request's Route said about us, read from the entries of ours that the proxy core
 * removed (RFC 3261 §16.4) and hands to the route callback: whether its top entry named this
 * instance, that entry's user part (a flow token from a peer instance), and the dialog token of
 * our leading entries.
 * @see RFC 3261 §16.4, RFC 5626 §5.3
 */
import type { RouteEntry } from '@sipts/message';
import { DIALOG_PARAM } from './dialog-token.js';
import type { Arrival } from './router.js';

/**
 * The arrival of a request from the Route entries of ours removed from its top, top first.
 * @example createProxy(stack, options, (rq, remote, removed) => route(rq, remote, arrivalOf(removed)))
 * @see RFC 3261 §16.4
 */
export function arrivalOf(removed: readonly RouteEntry[]): Arrival {
  const top = removed[0];
  if (top === undefined) return { routedToUs: false, routeUser: undefined };
  const u = typeof top.uri !== 'string' && 'user' in top.uri ? top.uri.user : undefined;
  // Our entries lead the Route (an outbound-proxy entry may precede our Record-Route one).
  let dialogToken: string | undefined;
  for (const r of removed) {
    const t = typeof r.uri !== 'string' && 'params' in r.uri ? r.uri.params[DIALOG_PARAM] : undefined;
    if (typeof t === 'string' && t !== '') {
      dialogToken = t;
      break;
    }
  }
  return { routedToUs: true, routeUser: typeof u === 'string' && u !== '' ? u : undefined, dialogToken };
}
