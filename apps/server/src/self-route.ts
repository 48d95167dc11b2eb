/**
 * The Route other instances use to reach a flow this instance keeps (the first entry of such a
 * binding's path): `sip:<flow token>@<our address>:<port>;transport=…;lr`, the way an RFC 5626
 * edge proxy puts a flow token in its Path.
 * @see RFC 5626 §5.3, RFC 3327 §5.3
 */
import { isWildcard } from '@sipts/transport/node';
import type { ServerConfig } from './config/index.js';
import type { FlowTable } from './flows.js';
import type { FlowRef } from './store/index.js';

interface Listening {
  protocol: string;
  address: string;
  port: number;
}

/** What {@link selfRouteOf} builds the self-route from. */
export interface SelfRouteParts {
  config: ServerConfig;
  /** The host to advertise, if any (see `advertisedHost`). */
  advertised: string | undefined;
  /** The sockets bound now. */
  listening: () => readonly Listening[];
  flows: FlowTable;
}

/**
 * The self-route builder: UDP if we listen on UDP, else TCP, else the first socket; the host is
 * `advertised` (from `advertisedHost`: `listen.publicAddress`, or for a wildcard bind an
 * interface address; set publicAddress in a cluster), else the bound address.
 * @example const selfRoute = selfRouteOf({ config, advertised: advertisedHost(config), listening: () => stack.transport.listening, flows })
 */
export function selfRouteOf(parts: SelfRouteParts): (flow: FlowRef) => string {
  const { config, advertised, listening, flows } = parts;
  return (flow) => {
    const all = listening();
    const l = all.find((x) => x.protocol === 'UDP') ?? all.find((x) => x.protocol === 'TCP') ?? all[0];
    const bound = l?.address ?? config.listen.address;
    let host = advertised ?? (isWildcard(bound) ? (bound.includes(':') ? '::1' : '127.0.0.1') : bound);
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
    const transport = (l?.protocol ?? 'UDP').toLowerCase();
    return `sip:${flows.tokenOf(flow)}@${host}:${String(l?.port ?? 5060)};transport=${transport};lr`;
  };
}
