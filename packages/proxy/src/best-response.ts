/**
 * Choosing the best final response of a response context (RFC 3261 §16.7 item 6) and
 * aggregating the challenges of 401/407 branches (item 7).
 * @see RFC 3261 §16.7
 */
import { copyMessage, reasonPhrase, type AuthHeader, type SipResponse } from '@sipts/message';

/** Classes preferred within 4xx: challenges first, then the others that tell the caller what to fix. */
const PREFERRED_4XX = [401, 407, 415, 420, 484];

function rank(rs: SipResponse): number {
  const cls = Math.floor(rs.status / 100);
  if (cls === 6) return 0;
  const within = cls === 4 ? PREFERRED_4XX.indexOf(rs.status) : -1;
  return cls * 100 + (within === -1 ? 99 : within);
}

function challenges(list: readonly SipResponse[], name: 'www-authenticate' | 'proxy-authenticate'): AuthHeader[] {
  const out: AuthHeader[] = [];
  const seen = new Set<string>();
  for (const rs of list) {
    if (rs.status !== 401 && rs.status !== 407) continue;
    for (const h of rs.headers[name] ?? []) {
      const key = JSON.stringify(h);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(h);
    }
  }
  return out;
}

/**
 * The response to forward when every branch has finished without a 2xx: a 6xx if any, else the
 * lowest class (within 4xx 401/407/415/420/484 first, then the earliest); a chosen 401/407 carries
 * every WWW-Authenticate and Proxy-Authenticate of the context's 401/407 responses; a chosen 503
 * becomes 500. Undefined when `finals` is empty.
 * @example const rs = chooseBest([r486, r404]) // the 404
 * @see RFC 3261 §16.7 items 6 and 7
 */
export function chooseBest(finals: readonly SipResponse[]): SipResponse | undefined {
  let best: SipResponse | undefined;
  for (const rs of finals) if (best === undefined || rank(rs) < rank(best)) best = rs;
  if (best === undefined) return undefined;
  if (best.status === 503) {
    const out = copyMessage(best);
    out.status = 500;
    out.reason = reasonPhrase(500);
    delete out.headers['retry-after'];
    return out;
  }
  if (best.status !== 401 && best.status !== 407) return best;
  const out = copyMessage(best);
  const www = challenges(finals, 'www-authenticate');
  const proxy = challenges(finals, 'proxy-authenticate');
  if (www.length > 0) out.headers['www-authenticate'] = www;
  if (proxy.length > 0) out.headers['proxy-authenticate'] = proxy;
  return out;
}
