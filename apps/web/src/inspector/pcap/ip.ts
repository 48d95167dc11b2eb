/**
 * IPv4 and IPv6 packets: addresses, the transport protocol and its payload, with fragments put
 * back together (RFC 791 §3.2, RFC 8200 §4.5). Pure; the fragment table is bounded.
 */
import { ipv4Text, ipv6Text } from './address.js';

/** A whole IP datagram's transport payload. */
export interface IpDatagram {
  version: 4 | 6;
  src: string;
  dst: string;
  /** The transport protocol number: 6 TCP, 17 UDP. */
  protocol: number;
  payload: Uint8Array;
}

/** What one packet gave: a datagram, a fragment held for later, or nothing usable. */
export type IpResult = { kind: 'datagram'; datagram: IpDatagram } | { kind: 'fragment' } | { kind: 'bad'; reason: string };

/** Bounds of the fragment table. */
export interface FragmentLimits {
  /** Datagrams being reassembled at once; the oldest is dropped past this. Default 256. */
  maxPending?: number;
  /** The largest reassembled datagram. Default 65,535 (the IP limit). */
  maxBytes?: number;
}

interface Pending {
  parts: { offset: number; data: Uint8Array }[];
  /** The total length, known once the last fragment (MF clear) is seen. */
  total: number;
  head?: Omit<IpDatagram, 'payload'>;
}

/** Reassembles fragments; one per capture. */
export interface IpReader {
  read(packet: Uint8Array): IpResult;
  /** Datagrams dropped because the table was full, or a fragment was inconsistent. */
  readonly droppedFragments: number;
}

/** Joins the parts if they cover `[0, total)`; later copies of a byte overwrite earlier ones. */
function assemble(p: Pending): Uint8Array | undefined {
  if (p.total < 0) return undefined;
  const sorted = [...p.parts].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const part of sorted) {
    if (part.offset > covered) return undefined;
    covered = Math.max(covered, part.offset + part.data.length);
  }
  if (covered < p.total) return undefined;
  const out = new Uint8Array(p.total);
  for (const part of sorted) out.set(part.data.subarray(0, Math.max(0, p.total - part.offset)), part.offset);
  return out;
}

/**
 * Creates a reader of IP packets that keeps the fragments of unfinished datagrams.
 * @example const ip = createIpReader(); const r = ip.read(packet); if (r.kind === 'datagram') …
 * @see RFC 791 §3.2 (IPv4 reassembly), RFC 8200 §4.5 (IPv6 Fragment header)
 */
export function createIpReader(limits: FragmentLimits = {}): IpReader {
  const maxPending = limits.maxPending ?? 256;
  const maxBytes = limits.maxBytes ?? 65_535;
  const pending = new Map<string, Pending>();
  let dropped = 0;

  function fragment(key: string, at: { offset: number; more: boolean; data: Uint8Array; head?: Omit<IpDatagram, 'payload'> }, base: Omit<IpDatagram, 'payload'>): IpResult {
    let p = pending.get(key);
    if (p === undefined) {
      if (pending.size >= maxPending) {
        const oldest = pending.keys().next().value;
        if (oldest !== undefined) pending.delete(oldest);
        dropped++;
      }
      p = { parts: [], total: -1 };
      pending.set(key, p);
    }
    const end = at.offset + at.data.length;
    if (end > maxBytes || (p.total >= 0 && end > p.total) || (!at.more && p.total >= 0 && end !== p.total)) {
      pending.delete(key);
      dropped++;
      return { kind: 'bad', reason: 'inconsistent fragment' };
    }
    if (!at.more) p.total = end;
    if (at.offset === 0) p.head = at.head ?? base;
    p.parts.push({ offset: at.offset, data: at.data });
    const whole = assemble(p);
    if (whole === undefined || p.head === undefined) return { kind: 'fragment' };
    pending.delete(key);
    return { kind: 'datagram', datagram: { ...p.head, payload: whole } };
  }

  function v4(b: Uint8Array): IpResult {
    const ihl = ((b[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20 || b.length < ihl) return { kind: 'bad', reason: 'short IPv4 header' };
    const total = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
    // A total length of 0 is TCP segmentation offload on the capturing host: take what was captured.
    const end = total === 0 ? b.length : Math.min(total, b.length);
    if (end < ihl) return { kind: 'bad', reason: 'IPv4 total length shorter than its header' };
    const head = { version: 4 as const, src: ipv4Text(b.subarray(12, 16)), dst: ipv4Text(b.subarray(16, 20)), protocol: b[9] ?? 0 };
    const flags = ((b[6] ?? 0) << 8) | (b[7] ?? 0);
    const more = (flags & 0x2000) !== 0;
    const offset = (flags & 0x1fff) * 8;
    const data = b.subarray(ihl, end);
    if (!more && offset === 0) return { kind: 'datagram', datagram: { ...head, payload: data } };
    const id = ((b[4] ?? 0) << 8) | (b[5] ?? 0);
    return fragment(`4|${head.src}|${head.dst}|${head.protocol}|${id}`, { offset, more, data }, head);
  }

  function v6(b: Uint8Array): IpResult {
    if (b.length < 40) return { kind: 'bad', reason: 'short IPv6 header' };
    const payloadLength = ((b[4] ?? 0) << 8) | (b[5] ?? 0);
    const end = payloadLength === 0 ? b.length : Math.min(40 + payloadLength, b.length);
    const src = ipv6Text(b.subarray(8, 24));
    const dst = ipv6Text(b.subarray(24, 40));
    let next = b[6] ?? 0;
    let off = 40;
    // Extension headers: hop-by-hop 0, routing 43, destination options 60, fragment 44.
    for (let hops = 0; hops < 16; hops++) {
      if (next === 0 || next === 43 || next === 60) {
        if (off + 2 > end) return { kind: 'bad', reason: 'short IPv6 extension header' };
        const len = ((b[off + 1] ?? 0) + 1) * 8;
        next = b[off] ?? 0;
        off += len;
        continue;
      }
      if (next === 44) {
        if (off + 8 > end) return { kind: 'bad', reason: 'short IPv6 fragment header' };
        const proto = b[off] ?? 0;
        const fo = ((b[off + 2] ?? 0) << 8) | (b[off + 3] ?? 0);
        const id = new DataView(b.buffer, b.byteOffset + off + 4, 4).getUint32(0, false);
        const head = { version: 6 as const, src, dst, protocol: proto };
        const at = { offset: fo & 0xfff8, more: (fo & 1) === 1, data: b.subarray(off + 8, end) };
        if (at.offset === 0 && !at.more) return { kind: 'datagram', datagram: { ...head, payload: at.data } };
        return fragment(`6|${src}|${dst}|${id}`, { ...at, head }, head);
      }
      if (off > end) return { kind: 'bad', reason: 'IPv6 extension headers run past the packet' };
      return { kind: 'datagram', datagram: { version: 6, src, dst, protocol: next, payload: b.subarray(off, end) } };
    }
    return { kind: 'bad', reason: 'too many IPv6 extension headers' };
  }

  return {
    read(packet) {
      const version = (packet[0] ?? 0) >> 4;
      if (version === 4) return v4(packet);
      if (version === 6) return v6(packet);
      return { kind: 'bad', reason: 'not IPv4 or IPv6' };
    },
    get droppedFragments() {
      return dropped;
    },
  };
}
