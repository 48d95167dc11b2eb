/**
 * Knowing which URIs and Vias mean this proxy, choosing the transport of the next hop, and
 * building Record-Route entries.
 * @see RFC 3261 §16.4, §16.6 items 4 and 6, §18.1.1
 */
import { isSipUri, parseUri, type RouteEntry, type SipRequest, type Uri, type Via } from '@sipts/message';
import { unbracket, type Target, type TransportProtocol } from '@sipts/transport';

/** A listening socket: the stack's `transport.listening` entries. */
export interface Listening {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

function defaultPort(protocol: TransportProtocol | 'SIPS'): number {
  return protocol === 'TLS' || protocol === 'WSS' || protocol === 'SIPS' ? 5061 : 5060;
}

const PROTOCOLS: Record<string, TransportProtocol> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/**
 * The transport a request to `uri` uses: its `transport` parameter, TLS for `sips`, else UDP
 * (RFC 3263 §4.1 with no NAPTR; an explicit target wins).
 */
export function protocolOfUri(uri: string | Uri, target?: Target): TransportProtocol {
  if (target !== undefined) return target.protocol;
  // The common case without a parse: a `sip:` URI with no parameters goes over UDP.
  if (typeof uri === 'string' && isPlainSip(uri)) return 'UDP';
  const u = parseUri(uri);
  if (!isSipUri(u)) return 'UDP';
  const t = u.params.transport;
  if (typeof t === 'string') {
    const p = PROTOCOLS[t.toLowerCase()];
    if (p !== undefined) return u.schema === 'sips' && p === 'TCP' ? 'TLS' : p;
  }
  return u.schema === 'sips' ? 'TLS' : 'UDP';
}

/** A `sip:` URI text with no `;` (so no `transport` parameter), valid or not: both mean UDP. */
function isPlainSip(uri: string): boolean {
  return uri.length > 4 && uri.charCodeAt(3) === 0x3a && uri.slice(0, 3).toLowerCase() === 'sip' && !uri.includes(';');
}

/** RFC 3261 §8.1.2: the first Route if it is a loose router, else the Request-URI. */
export function nextHopUri(request: SipRequest): string | Uri {
  const first = request.headers.route?.[0];
  if (first !== undefined) {
    const u = parseUri(first.uri);
    if (isSipUri(u) && u.params.lr !== undefined) return u;
  }
  return request.uri;
}

/** Which addresses are ours: the stack's listening sockets plus aliases. */
export class OwnAddresses {
  readonly #listening: () => readonly Listening[];
  readonly #aliases: Set<string>;
  readonly #host: string | undefined;

  /** `host`: the Record-Route host (also an alias). */
  constructor(listening: () => readonly Listening[], aliases: readonly string[], host?: string) {
    this.#listening = listening;
    this.#aliases = new Set(aliases.map((a) => unbracket(a).toLowerCase()));
    if (host !== undefined) this.#aliases.add(unbracket(host).toLowerCase());
    this.#host = host;
  }

  /** True when `host:port` names one of our sockets (any protocol). */
  isOwn(host: string, port: number): boolean {
    const h = unbracket(host).toLowerCase();
    for (const l of this.#listening()) {
      if (l.port !== port) continue;
      if (this.#aliases.has(h) || l.address.toLowerCase() === h) return true;
    }
    return false;
  }

  /** True for a SIP URI that names this proxy (host and port; no user part needed). */
  isOwnUri(uri: string | Uri): boolean {
    const u = parseUri(uri);
    if (!isSipUri(u)) return false;
    const sips = u.schema === 'sips';
    return this.isOwn(u.host, u.port ?? defaultPort(sips ? 'SIPS' : protocolOfUri(u)));
  }

  /** True for a Via whose sent-by is ours. */
  isOwnVia(via: Via): boolean {
    const protocol = PROTOCOLS[via.protocol.toLowerCase()] ?? 'UDP';
    return this.isOwn(via.host, via.port ?? defaultPort(protocol));
  }

  /**
   * Our Record-Route entry for the side that uses `protocol`: `sip:host:port;transport=x;lr`.
   * @throws SipError never; with no socket for `protocol` the first listening one is used
   */
  recordRoute(protocol: TransportProtocol): RouteEntry {
    const all = this.#listening();
    const l = all.find((x) => x.protocol === protocol) ?? all[0];
    const host = this.#host ?? l?.address ?? '127.0.0.1';
    const uri: Uri = { schema: 'sip', host: host.includes(':') && !host.startsWith('[') ? `[${host}]` : host, port: l?.port, params: { transport: protocol.toLowerCase(), lr: null }, headers: {} };
    return { uri, params: {} };
  }
}
