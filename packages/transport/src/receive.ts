/**
 * What a server does to a message as it arrives (RFC 3261 §18.2.1, RFC 3581 §4): the mandatory
 * header check and the `received` / `rport` stamps on the top Via. Also the small IP-address
 * helpers the rest of the transport layer shares.
 * @see RFC 3261 §18.2.1, §8.1.1, RFC 3581 §4, RFC 5118
 */
import { isRequest, type SipMessage, type SipRequest } from '@sipts/message';
import type { Remote } from './types.js';

/**
 * A host without IPv6 brackets, lower-cased: `[2001:DB8::1]` → `2001:db8::1`.
 * @example unbracket('[::1]') // '::1'
 */
export function unbracket(host: string): string {
  const h = host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host;
  // Addresses are lower case already, as a rule: no new string for them (one per message).
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c > 0x7f) return h.toLowerCase();
  }
  return h;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_CHARS = /^[0-9a-f:.]+$/;

/** True for a dotted IPv4 address. */
export function isIpv4(host: string): boolean {
  return IPV4.test(host);
}

/** True for an IPv6 address, with or without brackets (a loose check: hex digits, colons, dots). */
export function isIpv6(host: string): boolean {
  const h = unbracket(host);
  return h.includes(':') && IPV6_CHARS.test(h);
}

/**
 * True when `host` is an IP address literal (v4, or v6 with or without brackets), false for a
 * host name that needs resolving.
 * @example isIpAddress('[::1]') // true; isIpAddress('example.com') // false
 */
export function isIpAddress(host: string): boolean {
  return isIpv4(host) || isIpv6(host);
}

/** The 8 groups of an IPv6 address (lower-case, no brackets) as numbers, or undefined. */
export function ipv6Groups(address: string): number[] | undefined {
  let a = address;
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const lastColon = a.lastIndexOf(':');
  const tail = a.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4(tail)) return undefined;
    const o = tail.split('.').map(Number);
    const hi = ((o[0] ?? 0) << 8) | (o[1] ?? 0);
    const lo = ((o[2] ?? 0) << 8) | (o[3] ?? 0);
    a = a.slice(0, lastColon + 1) + hi.toString(16) + ':' + lo.toString(16);
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const fixed = head.length + rest.length;
  if (halves.length === 1) return fixed === 8 ? head : undefined;
  if (fixed > 7) return undefined;
  return [...head, ...new Array<number>(8 - fixed).fill(0), ...rest];
}

/**
 * The /64 network of an IPv6 address (`2001:db8:1:2::/64`), or undefined for IPv4 (an
 * IPv4-mapped address included) and host names. One /64 is usually one subscriber's network:
 * limits per address mean little for IPv6 without a limit per /64 (RFC 7421).
 * @example ipv6Prefix64('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function ipv6Prefix64(address: string): string | undefined {
  const canonical = canonicalIp(address);
  if (!canonical.includes(':')) return undefined;
  const g = ipv6Groups(canonical);
  if (g === undefined) return undefined;
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}

/**
 * The canonical text of an IP address for comparisons: IPv4 as is, IPv6 without brackets,
 * lower-case in the RFC 5952 form (`2001:db8::1`), and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as its IPv4
 * address. Anything else (a host name) comes back lower-cased.
 * @example canonicalIp('[::FFFF:127.0.0.1]') // '127.0.0.1'
 */
export function canonicalIp(host: string): string {
  const h = unbracket(host);
  if (!h.includes(':')) return h;
  const g = ipv6Groups(h);
  if (g === undefined) return h;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  // RFC 5952 §4: the longest run (of two or more) of zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best === -1) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** True when two hosts are the same IP address (or the same name, case-insensitively). */
export function sameHost(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

/**
 * Stamps the top Via of an arriving request: `received` when the sent-by host is not the source
 * address (RFC 3261 §18.2.1); when the Via has a valueless `rport`, its value becomes the source
 * port and `received` is always added (RFC 3581 §4). Changes `request` in place; a request with no
 * Via is left alone (the mandatory-header check answers it).
 * @example stampReceived(rq, { protocol: 'UDP', address: '192.0.2.4', port: 5080, local }) // ;received=192.0.2.4;rport=5080
 * @see RFC 3261 §18.2.1, RFC 3581 §4
 */
export function stampReceived(request: SipRequest, remote: Remote): void {
  const via = request.headers.via?.[0];
  if (via === undefined) return;
  const address = unbracket(remote.address);
  const rport = via.params.rport;
  if (rport === null || rport === '') {
    via.params.rport = remote.port;
    via.params.received = address;
    return;
  }
  if (!sameHost(via.host, address)) via.params.received = address;
}

/**
 * A header value that is present but did not parse: the lazy parser leaves its text. The headers
 * the layers above act on (registrar, proxy, dialogs, digest client and server) are read on
 * arrival with this: a request with a malformed one gets 400 and a response is dropped, as before
 * the lazy parser (RFC 4475 §3.1.2.12: reject for a malformed header that the element uses).
 * Faults in other headers (Date, User-Agent…) leave the message deliverable.
 */
function isText(value: unknown): boolean {
  return value !== undefined && typeof value !== 'object';
}

/**
 * Checks the headers every message needs (RFC 3261 §8.1.1, §8.2.2): a non-empty Via, From, To,
 * Call-ID and CSeq; for requests, a CSeq method matching the request method; and no fault in a
 * header the stack acts on (Contact, Record-Route, Path and the digest headers).
 * @returns undefined when the message is fine, else the reason (for a 400's Warning)
 * @example const why = checkMandatoryHeaders(msg); if (why !== undefined) answer400(why)
 * @see RFC 3261 §8.1.1, §8.2.2, §18.2.1
 */
export function checkMandatoryHeaders(message: SipMessage): string | undefined {
  const h = message.headers;
  if (h.via === undefined || h.via.length === 0) return 'missing Via header';
  if (h.from === undefined) return 'missing From header';
  if (h.to === undefined) return 'missing To header';
  const callId = h['call-id'];
  if (typeof callId !== 'string' || callId === '') return 'missing Call-ID header';
  if (h.cseq === undefined) return 'missing CSeq header';
  if (isRequest(message) && (message).method !== h.cseq.method) {
    // ACK and CANCEL carry their own method in CSeq too (RFC 3261 §17.1.1.3, §9.1).
    return 'CSeq method does not match the request method';
  }
  // A malformed header the stack uses reads as its text (the lazy parser records the fault as it
  // does so): reading these few is the whole check, with no parse of the headers nobody uses.
  // Named reads, each once: a keyed read per name from a list cost a megamorphic lookup each.
  if (isText(h.contact)) return 'malformed contact header';
  if (isText(h['record-route'])) return 'malformed record-route header';
  if (isText(h.path)) return 'malformed path header';
  if (isText(h.authorization)) return 'malformed authorization header';
  if (isText(h['proxy-authorization'])) return 'malformed proxy-authorization header';
  if (isText(h['www-authenticate'])) return 'malformed www-authenticate header';
  if (isText(h['proxy-authenticate'])) return 'malformed proxy-authenticate header';
  return undefined;
}
