/**
 * What an outgoing request's top Via says about us (RFC 3261 §18.1.1, RFC 3581 §3): the transport
 * actually used, a sent-by host and the port of THAT transport's listener, `rport` on UDP, and a
 * branch when there is none.
 * @see RFC 3261 §18.1.1, §8.1.1.7, RFC 3581 §3, RFC 5118 §4.4
 */
import { networkInterfaces } from 'node:os';
import { stringifyUri, type SipRequest, type Via } from '@sipts/message';
import { generateBranch } from '../branch.js';
import { canonicalIp, isIpv6 } from '../receive.js';
import type { TransportProtocol } from '../types.js';

/** How to stamp the top Via. */
export interface ViaStamp {
  protocol: TransportProtocol;
  /** The sent-by host (an IPv6 address gets its brackets here). */
  host: string;
  port: number;
  /** Add a valueless `rport` (UDP with the option on). */
  rport: boolean;
  /** The request carried `rport` before we stamped it: keep it whatever the transport. */
  hadRport: boolean;
}

/**
 * Stamps the top Via of `request` in place (creating one if there is none).
 * @example stampVia(rq, { protocol: 'UDP', host: '192.0.2.1', port: 5060, rport: true, hadRport: false })
 */
export function stampVia(request: SipRequest, stamp: ViaStamp): Via {
  const host = isIpv6(stamp.host) && !stamp.host.startsWith('[') ? `[${stamp.host}]` : stamp.host;
  let via = request.headers.via?.[0];
  if (via === undefined) {
    via = { version: '2.0', protocol: stamp.protocol, host, port: stamp.port, params: {} };
    request.headers.via = [via];
  }
  via.version = via.version === '' ? '2.0' : via.version;
  via.protocol = stamp.protocol;
  via.host = host;
  via.port = stamp.port;
  if (stamp.rport) {
    if (via.params.rport === undefined) via.params.rport = null;
  } else if (!stamp.hadRport) {
    delete via.params.rport;
  }
  const branch = via.params.branch;
  if (typeof branch !== 'string' || branch === '') via.params.branch = generateBranch();
  return via;
}

/** True when the request's top Via carries `rport` already. */
export function hasRport(request: SipRequest): boolean {
  const v = request.headers.via?.[0];
  return v !== undefined && v.params.rport !== undefined;
}

/**
 * True when the next hop (the first Route, else the Request-URI) says `transport=udp`: then a
 * large request must not move to TCP (RFC 3261 §18.1.1 applies to requests whose transport was
 * not chosen explicitly).
 */
export function forcesUdp(request: SipRequest): boolean {
  const route = request.headers.route?.[0];
  const uri = route !== undefined ? route.uri : request.uri;
  let text: string;
  try {
    text = typeof uri === 'string' ? uri : stringifyUri(uri);
  } catch {
    return false;
  }
  return /;\s*transport\s*=\s*udp(?![a-z0-9-])/i.test(text);
}

/** The local addresses a wildcard-bound transport can name in Via, found once. */
export interface LocalAddresses {
  v4: string | undefined;
  v6: string | undefined;
}

/** The first non-internal IPv4 and IPv6 (not link-local) interface addresses. */
export function localAddresses(): LocalAddresses {
  const out: LocalAddresses = { v4: undefined, v6: undefined };
  let ifaces: ReturnType<typeof networkInterfaces>;
  try {
    ifaces = networkInterfaces();
  } catch {
    return out;
  }
  for (const list of Object.values(ifaces)) {
    for (const i of list ?? []) {
      if (i.internal) continue;
      if (i.family === 'IPv4') out.v4 ??= i.address;
      else if (!i.address.toLowerCase().startsWith('fe80')) out.v6 ??= i.address;
    }
  }
  return out;
}

/**
 * True for the unspecified addresses (`0.0.0.0`, `::`, in any spelling: `[::]`, `0:0::0`), which
 * mean "every interface" to a listener and can never be sent to.
 * @example isWildcard('[::]') // true
 */
export function isWildcard(address: string): boolean {
  const a = canonicalIp(address);
  return a === '0.0.0.0' || a === '::';
}

/** True for loopback addresses (127/8, ::1). */
export function isLoopback(address: string): boolean {
  const a = canonicalIp(address);
  return a.startsWith('127.') || a === '::1';
}

/**
 * The host to write in sent-by when no public address or host name is configured: the bound
 * address, or for a wildcard socket an address of this machine that can reach `to` (loopback for
 * a loopback target, else the first interface address of the target's family).
 */
export function hostFacing(bound: string, to: string, locals: LocalAddresses): string {
  if (!isWildcard(bound)) return canonicalIp(bound);
  const v6 = isIpv6(to);
  if (isLoopback(to)) return v6 ? '::1' : '127.0.0.1';
  return (v6 ? locals.v6 : locals.v4) ?? (v6 ? '::1' : '127.0.0.1');
}
