/**
 * Does a Contact name this server? True when its host (in canonical form: `127.1`, a trailing
 * dot or an IPv4-mapped IPv6 address change nothing) and port are one of our listening sockets or
 * aliases, or, on a wildcard bind, a loopback or interface address with our port. The registrar
 * refuses such Contacts: a call to the AOR would come straight back to us.
 * @see RFC 3261 §10.3, §16.3 item 4
 */
import { networkInterfaces } from 'node:os';
import { isWildcard } from '@sipts/transport/node';
import { isSipUri, parseUri } from '@sipts/message';
import type { OwnAddresses } from '@sipts/proxy';
import { canonicalHost } from './domains.js';

interface Listening {
  protocol: string;
  address: string;
  port: number;
}


function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(canonicalHost(a.address));
  return out;
}

/**
 * Creates the check; the interface addresses are read once.
 * @example const isSelf = createSelfCheck({ own, listening: () => stack.transport.listening }); isSelf('sip:a@127.1:5060')
 */
export function createSelfCheck(options: { own: OwnAddresses; listening: () => readonly Listening[] }): (contact: string) => boolean {
  let local: Set<string> | undefined;
  return (contact) => {
    const u = parseUri(contact);
    if (u === undefined || !isSipUri(u)) return false;
    const host = canonicalHost(u.host);
    const uri = { ...u, host: host.includes(':') ? `[${host}]` : host };
    if (options.own.isOwnUri(uri)) return true;
    const port = u.port ?? (u.schema === 'sips' ? 5061 : 5060);
    const wild = options.listening().some((l) => isWildcard(l.address) && l.port === port);
    if (!wild) return false;
    local ??= interfaceAddresses();
    return local.has(host) || host.startsWith('127.') || host === '::1';
  };
}
