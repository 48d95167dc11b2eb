/**
 * Which Path a REGISTER may leave in its binding (RFC 3327). A Path value is a proxy's
 * statement ("reach the UA through me"), added by each proxy on the way to the registrar, the
 * nearest on top (§4, §5.1). A phone that talks to the server directly can write any Path it
 * likes, and a stored Path is where the server later sends that user's calls first: so a Path is
 * kept only when its top entry names the host the REGISTER came from, i.e. the hop next to the
 * server added it (kamailio's `add_path()` writes its address). Otherwise the whole Path is the
 * phone's own claim and is dropped (§5.3 leaves the registrar's policy to it). Host names are not
 * resolved: an edge proxy must put its address in its Path.
 * @see RFC 3327 §4, §5.3
 */
import { type RouteEntry } from '@sipts/message';
import type { Remote } from '@sipts/transport';
import { canonicalHost } from '../domains.js';

/**
 * The Path entries to store and echo: all of them when the top one names `remote`'s address,
 * else none.
 * @example acceptedPath(rq.headers.path ?? [], remote) // [] for a phone's own Path
 */
export function acceptedPath(path: readonly RouteEntry[], remote: Pick<Remote, 'address'>): readonly RouteEntry[] {
  const top = path[0];
  if (top === undefined || typeof top.uri === 'string' || !('host' in top.uri)) return [];
  return canonicalHost(top.uri.host) === canonicalHost(remote.address) ? path : [];
}
