/**
 * The header rules at the trust boundary: identity headers from outside are removed and, as an
 * option, set from the authenticated user (RFC 3325 §5: no element outside the trust domain may
 * assert an identity); a caller's own Route entries do not survive on a request the server sends
 * to a local user's bindings (the binding's Path is the only route it takes, RFC 3327 §5.3).
 * @see RFC 3325 §5, §9.1, §9.2; RFC 3327 §5.3
 */
import type { SipRequest } from '@sipts/message';

/**
 * Removes P-Asserted-Identity and P-Preferred-Identity from a request from outside the trust
 * domain. Returns whether there was anything to remove.
 * @example if (removeIdentity(rq)) metrics.trust('identity-removed')
 * @see RFC 3325 §5
 */
export function removeIdentity(rq: SipRequest): boolean {
  // The identity headers only a trusted element may set (RFC 3325 §9.1, §9.2).
  const h = rq.headers;
  const removed = h['p-asserted-identity'] !== undefined || h['p-preferred-identity'] !== undefined;
  delete h['p-asserted-identity'];
  delete h['p-preferred-identity'];
  return removed;
}

/**
 * Sets P-Asserted-Identity to the AOR the request was authenticated as.
 * @example assertIdentity(rq, 'sip:alice@localhost')
 * @see RFC 3325 §9.1
 */
export function assertIdentity(rq: SipRequest, aor: string): void {
  rq.headers['p-asserted-identity'] = `<${aor}>`;
}

/**
 * Removes the Route entries left after our own (the proxy core removed those): on a request to a
 * local user they can only be the caller's, and would send the request, and the callee's
 * Contact, wherever the caller likes. Returns whether any were removed.
 * @example if (dropForeignRoute(rq)) metrics.trust('route-dropped')
 */
export function dropForeignRoute(rq: SipRequest): boolean {
  if (rq.headers.route === undefined) return false;
  delete rq.headers.route;
  return true;
}
