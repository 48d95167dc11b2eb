/**
 * What a request's Route said about us before the proxy core removed our own entries (RFC 3261
 * §16.4): whether its top entry named this instance, that entry's user part (a flow token from a
 * peer instance), and the dialog token of our leading entries. The stack's request hook notes it;
 * the route callback takes it (both run synchronously for one request).
 * @see RFC 3261 §16.4, RFC 5626 §5.3
 */
import type { SipRequest, Uri } from '@sipts/message';
import { DIALOG_PARAM } from './dialog-token.js';
import type { Arrival } from './router.js';

const NONE: Arrival = { routedToUs: false, routeUser: undefined };

/**
 * Creates the note-taker; `isOwnUri` names this instance's addresses.
 * @example const arrivals = createArrivals((u) => own.isOwnUri(u)); hook: arrivals.note(rq); route: route(rq, remote, arrivals.take())
 */
export function createArrivals(isOwnUri: (uri: string | Uri) => boolean): { note(rq: SipRequest): void; take(): Arrival } {
  let arrival: Arrival = NONE;
  return {
    note(rq) {
      const routes = rq.headers.route ?? [];
      const top = routes[0];
      const mine = top !== undefined && isOwnUri(top.uri);
      const u = mine && typeof top.uri !== 'string' && 'user' in top.uri ? top.uri.user : undefined;
      // Our entries lead the Route (an outbound-proxy entry may precede our Record-Route one).
      let dialogToken: string | undefined;
      for (const r of routes) {
        if (!isOwnUri(r.uri)) break;
        const t = typeof r.uri !== 'string' && 'params' in r.uri ? r.uri.params[DIALOG_PARAM] : undefined;
        if (typeof t === 'string' && t !== '') {
          dialogToken = t;
          break;
        }
      }
      arrival = { routedToUs: mine, routeUser: typeof u === 'string' && u !== '' ? u : undefined, dialogToken };
    },
    take() {
      const a = arrival;
      arrival = NONE;
      return a;
    },
  };
}
