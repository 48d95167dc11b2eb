/**
 * The WebSocket Origin allow-list (RFC 6455 §10.2): a browser names, in the handshake's Origin,
 * the site whose page opens the socket. Pages served from one of the server's own names (its
 * domains, its listen address, its public address) and the origins in `listen.allowedOrigins` may
 * connect; a page of any other site is refused (403), so it cannot use a visitor's browser to
 * register or call through the server. A handshake without Origin is not from a browser page
 * (phones, sipp, our Node stack): allowed, since such a client could send any Origin it likes.
 * The opaque origin `null` (sandboxed frames, `file:` pages) is refused.
 * @see RFC 6455 §4.2.1, §10.2; RFC 6454 §7 (the Origin header)
 */
import { unbracket } from '@sipts/transport';
import { isWildcard } from '@sipts/transport/node';
import { advertisedHost } from './advertised-host.js';
import type { ServerConfig } from './config/index.js';

/** What {@link createOriginCheck} allows. */
export interface OriginPolicy {
  /** Origins allowed as given (`https://phone.example.com`, `http://localhost:5173`). */
  allowed: readonly string[];
  /** Host names and addresses that are the server's own: a page from any of them may connect. */
  ownHosts: readonly string[];
}

/** `scheme://host[:port]` in canonical form (lower case, default port dropped), or undefined. */
function canonicalOrigin(text: string): { origin: string; host: string } | undefined {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return { origin: u.origin.toLowerCase(), host: unbracket(u.hostname).toLowerCase() };
  } catch {
    return undefined;
  }
}

/**
 * Creates the check the WebSocket listeners call with each handshake's Origin.
 * @example createOriginCheck({ allowed: ['https://phone.example.com'], ownHosts: ['example.com'] })('https://evil.example') // false
 */
export function createOriginCheck(policy: OriginPolicy): (origin: string | undefined) => boolean {
  const allowed = new Set(policy.allowed.map((o) => canonicalOrigin(o)?.origin ?? o.toLowerCase()));
  const own = new Set(policy.ownHosts.filter((h) => !isWildcard(h)).map((h) => unbracket(h).toLowerCase()));
  return (origin) => {
    if (origin === undefined) return true;
    const o = canonicalOrigin(origin.trim());
    if (o === undefined) return false;
    return allowed.has(o.origin) || own.has(o.host);
  };
}

/**
 * The check for a configuration: `listen.allowedOrigins`, and as own names the domains, the
 * listen address, the public address and the advertised host.
 * @example createStack({ ws: { port: 8088, allowOrigin: originCheckOf(config) } })
 */
export function originCheckOf(config: ServerConfig): (origin: string | undefined) => boolean {
  const l = config.listen;
  const advertised = advertisedHost(config);
  return createOriginCheck({
    allowed: l.allowedOrigins,
    ownHosts: [...config.domains, l.address, ...(l.publicAddress !== null ? [l.publicAddress] : []), ...(advertised !== undefined ? [advertised] : [])],
  });
}
