/**
 * From a captured frame to the IP packet in it, for the link types SIP captures come in. Pure.
 * @see https://www.tcpdump.org/linktypes.html (LINKTYPE_ values)
 */

/** The LINKTYPE_ values read. */
export const LINKTYPE = {
  null: 0,
  ethernet: 1,
  raw: 101,
  rawAlt: 12,
  loop: 108,
  linuxSll: 113,
  linuxSll2: 276,
  ipv4: 228,
  ipv6: 229,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad (QinQ) and the old QinQ value: each adds a 4-byte tag. */
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

/** The IP packet in a frame, or the reason there is none. */
export type LinkResult = { ok: true; ip: Uint8Array } | { ok: false; reason: 'not-ip' | 'unknown-link-type' | 'short' };

function byEthertype(type: number, ip: Uint8Array): LinkResult {
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? { ok: true, ip } : { ok: false, reason: 'not-ip' };
}

function byVersion(ip: Uint8Array): LinkResult {
  const version = (ip[0] ?? 0) >> 4;
  return version === 4 || version === 6 ? { ok: true, ip } : { ok: false, reason: 'not-ip' };
}

function ethernet(data: Uint8Array): LinkResult {
  let off = 12;
  for (;;) {
    if (off + 2 > data.length) return { ok: false, reason: 'short' };
    const type = ((data[off] ?? 0) << 8) | (data[off + 1] ?? 0);
    if (!VLAN_TAGS.has(type)) return byEthertype(type, data.subarray(off + 2));
    off += 4;
  }
}

/** BSD loopback: a 4-byte address family in the capturing host's byte order (or big-endian for LOOP). */
function nullLink(data: Uint8Array, bigEndianOnly: boolean): LinkResult {
  if (data.length < 4) return { ok: false, reason: 'short' };
  const v = new DataView(data.buffer, data.byteOffset, 4);
  const be = v.getUint32(0, false);
  const family = bigEndianOnly || be < 0x10000 ? be : v.getUint32(0, true);
  // AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 on the BSDs and macOS, 10 on Linux.
  if (family === 2 || family === 24 || family === 28 || family === 30 || family === 10) return byVersion(data.subarray(4));
  return { ok: false, reason: 'not-ip' };
}

/**
 * The IP packet carried by `data` on a link of type `linkType`.
 * @example ipPayload(LINKTYPE.ethernet, frame) // { ok: true, ip }
 */
export function ipPayload(linkType: number, data: Uint8Array): LinkResult {
  switch (linkType) {
    case LINKTYPE.ethernet:
      return ethernet(data);
    case LINKTYPE.linuxSll:
      // 16 bytes: packet type, ARPHRD type, address length, 8 address bytes, protocol (ethertype).
      if (data.length < 16) return { ok: false, reason: 'short' };
      return byEthertype(((data[14] ?? 0) << 8) | (data[15] ?? 0), data.subarray(16));
    case LINKTYPE.linuxSll2:
      // 20 bytes: protocol (ethertype) first, then reserved, interface index, ARPHRD, type, address.
      if (data.length < 20) return { ok: false, reason: 'short' };
      return byEthertype(((data[0] ?? 0) << 8) | (data[1] ?? 0), data.subarray(20));
    case LINKTYPE.null:
      return nullLink(data, false);
    case LINKTYPE.loop:
      return nullLink(data, true);
    case LINKTYPE.raw:
    case LINKTYPE.rawAlt:
    case LINKTYPE.ipv4:
    case LINKTYPE.ipv6:
      return byVersion(data);
    default:
      return { ok: false, reason: 'unknown-link-type' };
  }
}
