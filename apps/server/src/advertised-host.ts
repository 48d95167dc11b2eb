/**
 * The host this server writes where others must reach it again: Record-Route (RFC 3261 §16.6
 * item 4) and its own flow-token Route in a binding's Path. `listen.publicAddress` when set;
 * otherwise, for a wildcard bind (`0.0.0.0`, `::`), an address of this machine's interfaces: the
 * bound wildcard itself names no host (`sip:[::]:5060` is unreachable), and a UDP socket on a
 * wildcard does not learn the address a datagram arrived on.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isWildcard } from '@sipts/transport/node';
import type { ServerConfig } from './config/index.js';


/**
 * The advertised host, or undefined when the bound address itself is the right one (a specific
 * address, no publicAddress). For `0.0.0.0`: the first non-internal IPv4 address, else 127.0.0.1.
 * For `::` (dual stack): the first non-internal IPv4 address (most phones are IPv4), else the first
 * global IPv6 one, else ::1. Link-local IPv6 addresses (fe80::/10) are never chosen.
 * @example advertisedHost(config) // '192.0.2.2' for listen.address '0.0.0.0' on a host with eth0 192.0.2.2
 */
export function advertisedHost(config: ServerConfig, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string | undefined {
  if (config.listen.publicAddress !== null) return config.listen.publicAddress;
  const bound = config.listen.address;
  if (!isWildcard(bound)) return undefined;
  const external = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal);
  const v4 = external.find((i) => i.family === 'IPv4')?.address;
  if (bound === '0.0.0.0') return v4 ?? '127.0.0.1';
  const v6 = external.find((i) => i.family === 'IPv6' && !/^fe[89ab]/i.test(i.address))?.address;
  return v4 ?? v6 ?? '::1';
}
