/**
 * IP addresses as bytes and back (neutral), for the address attributes of STUN (RFC 5389 §15.1).
 */
import { canonicalIp, ipv6Groups, isIpv4, unbracket } from './receive.js';

/**
 * The 4 or 16 bytes of an IP address literal (IPv6 with or without brackets).
 * @returns undefined for anything that is not an IP address
 * @example parseIp('192.0.2.1') // Uint8Array [192, 0, 2, 1]
 */
export function parseIp(text: string): Uint8Array | undefined {
  const h = unbracket(text).toLowerCase();
  if (isIpv4(h)) return Uint8Array.from(h.split('.').map(Number));
  if (!h.includes(':')) return undefined;
  const groups = ipv6Groups(h);
  if (groups === undefined) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * The text of a 4- or 16-byte address: dotted quad, or RFC 5952 IPv6 (an IPv4-mapped IPv6
 * address comes back as its IPv4 address, as everywhere in this package).
 * @example formatIp(Uint8Array.of(192, 0, 2, 1)) // '192.0.2.1'
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalIp(groups.join(':'));
}
