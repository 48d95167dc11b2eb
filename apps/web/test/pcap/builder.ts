/**
 * Hand-built capture files for the reader's edge cases: pcap (µs/ns, either byte order) and pcapng
 * blocks, link-layer headers, IPv4/IPv6 (with fragments), UDP, TCP and WebSocket frames. Written
 * from the format descriptions, so the reader is tested against an independent writer; the real
 * captures made by tcpdump and tshark are in fixtures/.
 */

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16(n: number): Uint8Array {
  return new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
}
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

export function ipv4Bytes(a: string): Uint8Array {
  return new Uint8Array(a.split('.').map(Number));
}
export function ipv6Bytes(a: string): Uint8Array {
  const [head = '', tail = ''] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return concat(...groups.map((g) => u16(parseInt(g, 16))));
}

/** A UDP header and payload (checksum 0: not checked). */
export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return concat(u16(srcPort), u16(dstPort), u16(8 + payload.length), u16(0), payload);
}

/** TCP flags. */
export const SYN = 0x02;
export const ACK = 0x10;
export const PSH = 0x08;
export const FIN = 0x01;

/** A TCP header (20 bytes, or 32 with `options`) and payload. */
export function tcp(o: { src: number; dst: number; seq: number; flags?: number; payload?: Uint8Array; options?: boolean }): Uint8Array {
  const opts = o.options === true ? new Uint8Array([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]) : new Uint8Array(0);
  const offset = (20 + opts.length) / 4;
  return concat(u16(o.src), u16(o.dst), u32(o.seq), u32(0), new Uint8Array([offset << 4, o.flags ?? ACK | PSH]), u16(65535), u16(0), u16(0), opts, o.payload ?? new Uint8Array(0));
}

/** An IPv4 packet (fragment fields optional). */
export function ipv4(o: { src: string; dst: string; protocol: number; payload: Uint8Array; id?: number; offset?: number; more?: boolean }): Uint8Array {
  const flags = ((o.more === true ? 0x2000 : 0) | ((o.offset ?? 0) / 8)) & 0xffff;
  const header = concat(new Uint8Array([0x45, 0]), u16(20 + o.payload.length), u16(o.id ?? 1), u16(flags), new Uint8Array([64, o.protocol]), u16(0), ipv4Bytes(o.src), ipv4Bytes(o.dst));
  return concat(header, o.payload);
}

/** An IPv6 packet; with `fragment`, a Fragment header (44) carries `payload` as that fragment. */
export function ipv6(o: { src: string; dst: string; protocol: number; payload: Uint8Array; fragment?: { id: number; offset: number; more: boolean }; hopByHop?: boolean }): Uint8Array {
  let next = o.protocol;
  let ext: Uint8Array = new Uint8Array(0);
  if (o.fragment !== undefined) {
    ext = concat(new Uint8Array([o.protocol, 0]), u16(o.fragment.offset | (o.fragment.more ? 1 : 0)), u32(o.fragment.id));
    next = 44;
  }
  if (o.hopByHop === true) {
    ext = concat(new Uint8Array([next, 0, 1, 4, 0, 0, 0, 0]), ext);
    next = 0;
  }
  const body = concat(ext, o.payload);
  return concat(new Uint8Array([0x60, 0, 0, 0]), u16(body.length), new Uint8Array([next, 64]), ipv6Bytes(o.src), ipv6Bytes(o.dst), body);
}

/** Link-layer framings of an IP packet. */
export const link = {
  ethernet(ip: Uint8Array, vlans: number[] = []): Uint8Array {
    const v6 = (ip[0] ?? 0) >> 4 === 6;
    const tags = vlans.map((id, i) => concat(u16(i === 0 && vlans.length > 1 ? 0x88a8 : 0x8100), u16(id)));
    // The first tag's TPID sits where the ethertype would; each tag is TPID+TCI, then the real type.
    const macs = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    return concat(macs, ...tags, u16(v6 ? 0x86dd : 0x0800), ip);
  },
  sll(ip: Uint8Array): Uint8Array {
    const v6 = (ip[0] ?? 0) >> 4 === 6;
    return concat(u16(0), u16(772), u16(6), new Uint8Array(8), u16(v6 ? 0x86dd : 0x0800), ip);
  },
  sll2(ip: Uint8Array): Uint8Array {
    const v6 = (ip[0] ?? 0) >> 4 === 6;
    return concat(u16(v6 ? 0x86dd : 0x0800), u16(0), u32(1), u16(772), new Uint8Array([0, 6]), new Uint8Array(8), ip);
  },
  /** BSD loopback: the family in the capturing host's byte order. */
  null(ip: Uint8Array, littleEndian = true, v6Family = 30): Uint8Array {
    const family = (ip[0] ?? 0) >> 4 === 6 ? v6Family : 2;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, family, littleEndian);
    return concat(b, ip);
  },
  raw(ip: Uint8Array): Uint8Array {
    return ip;
  },
};

/** One packet for a file: time in ms since the epoch, link-layer bytes. */
export interface Packet {
  time: number;
  data: Uint8Array;
  /** pcapng interface index. */
  iface?: number;
}

/** A pcap file: `nanos` picks the nanosecond magic, `littleEndian` the byte order. */
export function pcap(linkType: number, packets: Packet[], o: { nanos?: boolean; littleEndian?: boolean } = {}): Uint8Array {
  const le = o.littleEndian ?? true;
  const head = new Uint8Array(24);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, o.nanos === true ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, 262144, le);
  hv.setUint32(20, linkType, le);
  const records = packets.map((p) => {
    const r = new Uint8Array(16);
    const v = new DataView(r.buffer);
    const sec = Math.floor(p.time / 1000);
    const frac = o.nanos === true ? Math.round((p.time - sec * 1000) * 1e6) : Math.round((p.time - sec * 1000) * 1e3);
    v.setUint32(0, sec, le);
    v.setUint32(4, frac, le);
    v.setUint32(8, p.data.length, le);
    v.setUint32(12, p.data.length, le);
    return concat(r, p.data);
  });
  return concat(head, ...records);
}

function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = concat(body, new Uint8Array((4 - (body.length % 4)) % 4));
  const len = 12 + padded.length;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, len, le);
  b.set(padded, 8);
  v.setUint32(len - 4, len, le);
  return b;
}

/** A pcapng section: one IDB per interface (link type, optional `if_tsresol`), then EPBs (or SPBs). */
export function pcapng(interfaces: { linkType: number; tsresol?: number }[], packets: Packet[], o: { littleEndian?: boolean; simple?: boolean } = {}): Uint8Array {
  const le = o.littleEndian ?? true;
  const shbBody = new Uint8Array(16);
  const sv = new DataView(shbBody.buffer);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setBigInt64(8, -1n, le);
  const blocks = [block(0x0a0d0d0a, shbBody, le)];
  // Something unknown between, to be skipped: a Name Resolution Block with only opt_endofopt.
  blocks.push(block(4, new Uint8Array(4), le));
  for (const i of interfaces) {
    const opts = i.tsresol === undefined ? new Uint8Array(0) : new Uint8Array(12);
    if (i.tsresol !== undefined) {
      const ov = new DataView(opts.buffer);
      ov.setUint16(0, 9, le);
      ov.setUint16(2, 1, le);
      opts[4] = i.tsresol;
    }
    const body = new Uint8Array(8 + opts.length);
    const bv = new DataView(body.buffer);
    bv.setUint16(0, i.linkType, le);
    bv.setUint32(4, 0, le);
    body.set(opts, 8);
    blocks.push(block(1, body, le));
  }
  for (const p of packets) {
    if (o.simple === true) {
      const body = concat(new Uint8Array(4), p.data);
      new DataView(body.buffer).setUint32(0, p.data.length, le);
      blocks.push(block(3, body, le));
      continue;
    }
    const iface = interfaces[p.iface ?? 0];
    const res = iface?.tsresol ?? 6;
    const units = BigInt(Math.round(p.time * 1000)) * 10n ** BigInt(res) / 1_000_000n;
    const body = new Uint8Array(20 + p.data.length);
    const bv = new DataView(body.buffer);
    bv.setUint32(0, p.iface ?? 0, le);
    bv.setUint32(4, Number(units >> 32n), le);
    bv.setUint32(8, Number(units & 0xffffffffn), le);
    bv.setUint32(12, p.data.length, le);
    bv.setUint32(16, p.data.length, le);
    body.set(p.data, 20);
    blocks.push(block(6, body, le));
  }
  return concat(...blocks);
}

/** A WebSocket frame (RFC 6455 §5.2); `mask` gives the 4-byte key of a client's frame. */
export function wsFrame(payload: Uint8Array, o: { opcode?: number; fin?: boolean; mask?: number[] } = {}): Uint8Array {
  const b0 = (o.fin === false ? 0 : 0x80) | (o.opcode ?? 1);
  const m = o.mask === undefined ? 0 : 0x80;
  const n = payload.length;
  const len = n < 126 ? new Uint8Array([b0, m | n]) : n < 65536 ? concat(new Uint8Array([b0, m | 126]), u16(n)) : concat(new Uint8Array([b0, m | 127]), u32(0), u32(n));
  if (o.mask === undefined) return concat(len, payload);
  const key = new Uint8Array(o.mask);
  const masked = payload.map((c, i) => c ^ (key[i & 3] ?? 0));
  return concat(len, key, masked);
}

/** A small valid SIP request. */
export function sipRequest(method: string, o: { callId?: string; cseq?: number; branch?: string; body?: string } = {}): string {
  const body = o.body ?? '';
  return [
    `${method} sip:bob@127.0.0.1:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=${o.branch ?? 'z9hG4bK-1'}`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:bob@127.0.0.1>',
    `Call-ID: ${o.callId ?? 'call-1@127.0.0.1'}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    'Contact: <sip:alice@127.0.0.1:5061>',
    `Content-Length: ${enc(body).length}`,
    '',
    body,
  ].join('\r\n');
}

/** A response to {@link sipRequest}. */
export function sipResponse(status: number, reason: string, method: string, o: { callId?: string; cseq?: number; branch?: string; toTag?: string } = {}): string {
  return [
    `SIP/2.0 ${status} ${reason}`,
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=${o.branch ?? 'z9hG4bK-1'}`,
    'From: "Alice" <sip:alice@127.0.0.1>;tag=a1',
    `To: <sip:bob@127.0.0.1>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId ?? 'call-1@127.0.0.1'}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
