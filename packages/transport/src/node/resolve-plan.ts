/**
 * What RFC 3263 §4 needs from a SIP/SIPS URI before any DNS query: the target host (`maddr`
 * first), whether it is a numeric address, the port, and the transport fixed by the URI.
 * @see RFC 3263 §4.1 and §4.2, RFC 3261 §19.1.2 (default ports), RFC 7118 §5.2 (`ws`/`wss`)
 */
import { isIP } from 'node:net';
import { SipError, type SipUri } from '@sipts/message';
import type { TransportProtocol } from '../types.js';

/** The parts of a URI that resolution works from. */
export interface ResolvePlan {
  /** `sips:`: only TLS and WSS may be used. */
  secure: boolean;
  /** `maddr` if present, else the URI host: lower case, no brackets, no trailing dot. */
  host: string;
  /** 4 or 6 for a numeric address (no DNS), 0 for a name. */
  ip: 0 | 4 | 6;
  port: number | undefined;
  /**
   * The transport named by the `transport` parameter (sips + tcp means TLS); `null` when it names
   * one that cannot carry this URI (sctp, unknown, udp for sips); `undefined` when absent.
   */
  transport: TransportProtocol | null | undefined;
}

/** True for the transports a `sips:` URI may use (RFC 3261 §26.2.2, RFC 7118 §7). */
export function isSecureTransport(protocol: TransportProtocol): boolean {
  return protocol === 'TLS' || protocol === 'WSS';
}

/**
 * The SRV owner-name prefix for a transport (RFC 3263 §4.1: `_sips._tcp` for TLS, `_sip._tcp`,
 * `_sip._udp`), or `undefined` for WS/WSS, for which RFC 7118 §6 defines NAPTR services only.
 */
export function srvPrefix(protocol: TransportProtocol): string | undefined {
  switch (protocol) {
    case 'UDP':
      return '_sip._udp.';
    case 'TCP':
      return '_sip._tcp.';
    case 'TLS':
      return '_sips._tcp.';
    case 'WS':
    case 'WSS':
      return undefined;
  }
}

/** Lower case, brackets and one trailing dot removed: the form used for queries, cache keys and `Target.host`. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.') && h.length > 1) h = h.slice(0, -1);
  return h;
}

/** 4, 6 or 0 (a name) for a normalized host. */
export function ipVersion(host: string): 0 | 4 | 6 {
  const v = isIP(host);
  return v === 4 || v === 6 ? v : 0;
}

function malformed(message: string): never {
  throw new SipError('resolve-failed', message, { status: 400 });
}

function paramText(value: string | number | null | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return malformed(`URI parameter ${name} has no value`);
  return String(value);
}

/**
 * Reads a parsed SIP/SIPS URI into a {@link ResolvePlan}.
 * @throws SipError `resolve-failed` (status 400) for an empty host or `maddr`, a port outside
 * 1–65535, or a `transport`/`maddr` parameter without a value
 * @example
 * planUri(parseUriOrThrow('sips:example.com;transport=tcp'))
 * // { secure: true, host: 'example.com', ip: 0, port: undefined, transport: 'TLS' }
 * @see RFC 3263 §4
 */
export function planUri(uri: SipUri): ResolvePlan {
  const secure = uri.schema === 'sips';
  const maddr = paramText(uri.params['maddr'], 'maddr');
  const host = normalizeHost(maddr ?? uri.host);
  if (host === '' || host === '.') malformed('URI has no host');
  const { port } = uri;
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65_535)) {
    malformed(`URI port ${String(port)} is out of range`);
  }
  const t = paramText(uri.params['transport'], 'transport');
  return { secure, host, ip: ipVersion(host), port, transport: t === undefined ? undefined : transportParam(t, secure) };
}

/** Maps a `transport` parameter value (RFC 3261 §19.1.1, RFC 7118 §5.2) for a sip or sips URI. */
function transportParam(value: string, secure: boolean): TransportProtocol | null {
  switch (value.toLowerCase()) {
    case 'udp':
      return secure ? null : 'UDP';
    case 'tcp':
      return secure ? 'TLS' : 'TCP';
    case 'tls':
      return 'TLS';
    case 'ws':
      return secure ? 'WSS' : 'WS';
    case 'wss':
      return 'WSS';
    default:
      return null; // sctp and unknown transports: nothing this stack can send over
  }
}
