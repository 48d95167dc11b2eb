/**
 * Where a server sends a response (RFC 3261 §18.2.2, RFC 3581 §4), from the top Via of the
 * response (copied from the request) and the transport the request arrived on.
 * @see RFC 3261 §18.2.2, RFC 3581 §4, RFC 3263 §5
 */
import { SipError, type SipResponse } from '@sipts/message';
import { canonicalIp, isIpAddress, unbracket } from './receive.js';
import { isReliable, type Remote, type TransportProtocol } from './types.js';

/** Where to send a response, as {@link responseTarget} works it out. */
export interface ResponseTarget {
  protocol: TransportProtocol;
  /** The IP address to send to (or, when `host` is set, the name still to resolve). */
  address: string;
  port: number;
  /**
   * Reliable transports: the connection the request came on. Send over it while it is open; if it
   * is gone, open a new connection to `address`:`port` (RFC 3261 §18.2.2).
   */
  flowId?: string;
  /** Set when `address` is a host name: resolve it per RFC 3263 §5 before sending. */
  host?: string;
}

/** Options of {@link responseTarget}. */
export interface ResponseTargetOptions {
  /** Answer unreliable requests to the packet's source address and port instead (symmetric routing). */
  symmetric: boolean;
}

const PROTOCOLS: Record<string, TransportProtocol | undefined> = { UDP: 'UDP', TCP: 'TCP', TLS: 'TLS', WS: 'WS', WSS: 'WSS' };

/** The default port of a transport when sent-by has none (RFC 3261 §18.2.2, §19.1.2; RFC 7118). */
export function defaultPort(protocol: TransportProtocol): number {
  switch (protocol) {
    case 'TLS':
      return 5061;
    case 'WS':
      return 80;
    case 'WSS':
      return 443;
    case 'UDP':
    case 'TCP':
      return 5060;
  }
}

function numericPort(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

function textParam(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function hostTarget(protocol: TransportProtocol, host: string, port: number, flowId?: string): ResponseTarget {
  const t: ResponseTarget = isIpAddress(host)
    ? { protocol, address: canonicalIp(host), port }
    : { protocol, address: host.toLowerCase(), port, host: host.toLowerCase() };
  if (flowId !== undefined) t.flowId = flowId;
  return t;
}

/**
 * Works out where to send `response`:
 * - reliable transport: the same connection (`flowId`); if that is gone, a new connection to
 *   `received` (else the sent-by host) and the sent-by port (default 5060, 5061 for TLS);
 * - `symmetric` (an option) and unreliable: the request's source address and port;
 * - `maddr`: that address and the sent-by port;
 * - unreliable with `received`: that address and the `rport` value if there is one, else the
 *   sent-by port;
 * - otherwise the sent-by host and port (a host name is returned with `host` set for RFC 3263 §5).
 * @param remote where the request came from, when known
 * @throws SipError `send-failed` (status 503) when the response has no Via or an unknown transport
 * @example responseTarget(rs, remote, { symmetric: false }) // { protocol: 'UDP', address: '192.0.2.4', port: 5080 }
 * @see RFC 3261 §18.2.2, RFC 3581 §4
 */
export function responseTarget(response: SipResponse, remote: Remote | undefined, options: ResponseTargetOptions): ResponseTarget {
  const via = response.headers.via?.[0];
  if (via === undefined) throw new SipError('send-failed', 'the response has no Via to route it by', { status: 503 });
  const viaProtocol = PROTOCOLS[via.protocol.toUpperCase()];
  const protocol = remote?.protocol ?? viaProtocol;
  if (protocol === undefined) {
    throw new SipError('send-failed', `cannot send a response over transport '${via.protocol}'`, { status: 503 });
  }
  const sentByPort = numericPort(via.port) ?? defaultPort(protocol);
  const received = textParam(via.params.received);
  if (isReliable(protocol)) {
    return hostTarget(protocol, received !== undefined ? unbracket(received) : via.host, sentByPort, remote?.flowId);
  }
  if (options.symmetric && remote !== undefined) {
    return { protocol, address: canonicalIp(remote.address), port: remote.port };
  }
  const maddr = textParam(via.params.maddr);
  if (maddr !== undefined) return hostTarget(protocol, unbracket(maddr), sentByPort);
  if (received !== undefined) {
    return hostTarget(protocol, unbracket(received), numericPort(via.params.rport) ?? sentByPort);
  }
  return hostTarget(protocol, via.host, sentByPort);
}
