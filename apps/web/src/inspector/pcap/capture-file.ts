/**
 * Reads the packets of a pcap or pcapng file: the container only (time, interface link type,
 * captured bytes); what is inside a packet is link-layer.ts's business. Pure: no DOM, no Node.
 *
 * - pcap: magic 0xA1B2C3D4 (microseconds) or 0xA1B23C4D (nanoseconds), in either byte order.
 * - pcapng: Section Header, Interface Description (with `if_tsresol` and `if_tsoffset`), Enhanced
 *   Packet, Simple Packet and the obsolete Packet block; several sections (each with its own byte
 *   order) and several interfaces; every other block is skipped by its length.
 * @see https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html (pcap)
 * @see https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html (pcapng)
 */
import { CaptureError } from './capture-error.js';

/** One captured packet. */
export interface RawPacket {
  /** 1-based number in the file, as Wireshark counts frames. */
  frame: number;
  /** Capture time in milliseconds since the Unix epoch (fractions keep µs; ns as far as a double can). */
  time: number;
  /** The LINKTYPE_ value of the packet's interface. */
  linkType: number;
  /** The captured bytes (a view into the file). */
  data: Uint8Array;
  /** Byte offset of the packet's record in the file. */
  offset: number;
}

/** The container format of a file. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** What {@link readCaptureFile} found: the format, and an error if reading stopped early. */
export interface CaptureFileResult {
  format: CaptureFormat;
  packets: number;
  error?: CaptureError;
}

/** The largest packet accepted (bigger records are taken as a corrupt length). */
export const MAX_PACKET_BYTES = 256 * 1024;

const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Tells pcap, pcapng or neither from a file's first four bytes. */
export function captureFormat(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length < 4) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const be = v.getUint32(0, false);
  const le = v.getUint32(0, true);
  if (be === PCAPNG_SHB) return 'pcapng';
  if (be === 0xa1b2c3d4 || le === 0xa1b2c3d4 || be === 0xa1b23c4d || le === 0xa1b23c4d) return 'pcap';
  return undefined;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readPcap(bytes: Uint8Array, onPacket: (p: RawPacket) => void): CaptureFileResult {
  const v = view(bytes);
  let packets = 0;
  if (bytes.length < 24) return { format: 'pcap', packets, error: new CaptureError('truncated', 'the pcap file header is cut short', bytes.length) };
  const magicLe = v.getUint32(0, true);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const nanos = (le ? magicLe : v.getUint32(0, false)) === 0xa1b23c4d;
  // The link type is the low 16 bits; the upper bits may carry FCS information.
  const linkType = v.getUint32(20, le) & 0xffff;
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) return { format: 'pcap', packets, error: new CaptureError('truncated', 'a packet record header is cut short', off) };
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    if (incl > MAX_PACKET_BYTES) return { format: 'pcap', packets, error: new CaptureError('malformed', `a packet record claims ${incl} bytes`, off) };
    if (off + 16 + incl > bytes.length) return { format: 'pcap', packets, error: new CaptureError('truncated', 'a packet is cut short', off) };
    if (frac >= (nanos ? 1e9 : 1e6)) return { format: 'pcap', packets, error: new CaptureError('malformed', 'a packet time has a fraction of a second out of range', off + 4) };
    const time = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    onPacket({ frame: ++packets, time, linkType, data: bytes.subarray(off + 16, off + 16 + incl), offset: off });
    off += 16 + incl;
  }
  return { format: 'pcap', packets };
}

/** An interface of a pcapng section: its link type and how to read its timestamps. */
interface NgInterface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second. */
  unitsPerSecond: bigint;
  /** Seconds added to every timestamp (`if_tsoffset`). */
  offsetSeconds: bigint;
}

/** Reads `if_tsresol` (9) and `if_tsoffset` (14) from an IDB's options `[from, to)`. */
function interfaceOptions(v: DataView, from: number, to: number, le: boolean, iface: NgInterface): void {
  let o = from;
  while (o + 4 <= to) {
    const code = v.getUint16(o, le);
    const len = v.getUint16(o + 2, le);
    if (code === 0 || o + 4 + len > to) return;
    if (code === 9 && len >= 1) {
      const r = v.getUint8(o + 4);
      const n = BigInt(r & 0x7f);
      iface.unitsPerSecond = r & 0x80 ? 1n << n : 10n ** n;
    } else if (code === 14 && len >= 8) {
      iface.offsetSeconds = v.getBigInt64(o + 4, le);
    }
    o += 4 + ((len + 3) & ~3);
  }
}

function ngTime(iface: NgInterface, high: number, low: number): number {
  const units = (BigInt(high) << 32n) | BigInt(low);
  const whole = units / iface.unitsPerSecond + iface.offsetSeconds;
  const rest = units % iface.unitsPerSecond;
  return Number(whole) * 1000 + (Number(rest) * 1000) / Number(iface.unitsPerSecond);
}

interface NgState {
  le: boolean;
  interfaces: NgInterface[];
  packets: number;
}

/** Handles one pcapng block `[off, off+len)` of `type`; returns an error to stop, or undefined. */
function ngBlock(bytes: Uint8Array, v: DataView, s: NgState, at: { off: number; type: number; len: number }, onPacket: (p: RawPacket) => void): CaptureError | undefined {
  const { off, type, len } = at;
  const body = off + 8;
  const end = off + len - 4;
  const packet = (ifIndex: number, high: number, low: number, capLen: number, dataAt: number): CaptureError | undefined => {
    const iface = s.interfaces[ifIndex];
    if (iface === undefined) return new CaptureError('malformed', `a packet names interface ${ifIndex}, which was not described`, off);
    if (dataAt + capLen > end || capLen > MAX_PACKET_BYTES) return new CaptureError('malformed', 'a packet is longer than its block', off);
    onPacket({ frame: ++s.packets, time: ngTime(iface, high, low), linkType: iface.linkType, data: bytes.subarray(dataAt, dataAt + capLen), offset: off });
    return undefined;
  };
  switch (type) {
    case 1: {
      if (len < 20) return new CaptureError('malformed', 'an interface description block is too short', off);
      const iface: NgInterface = { linkType: v.getUint16(body, s.le), snapLen: v.getUint32(body + 4, s.le), unitsPerSecond: 1_000_000n, offsetSeconds: 0n };
      interfaceOptions(v, body + 8, end, s.le, iface);
      s.interfaces.push(iface);
      return undefined;
    }
    case 6:
      if (len < 32) return new CaptureError('malformed', 'an enhanced packet block is too short', off);
      return packet(v.getUint32(body, s.le), v.getUint32(body + 4, s.le), v.getUint32(body + 8, s.le), v.getUint32(body + 12, s.le), body + 20);
    case 2:
      if (len < 32) return new CaptureError('malformed', 'a packet block is too short', off);
      return packet(v.getUint16(body, s.le), v.getUint32(body + 4, s.le), v.getUint32(body + 8, s.le), v.getUint32(body + 12, s.le), body + 20);
    case 3: {
      if (len < 16) return new CaptureError('malformed', 'a simple packet block is too short', off);
      const iface = s.interfaces[0];
      if (iface === undefined) return new CaptureError('malformed', 'a simple packet block comes before any interface description', off);
      const orig = v.getUint32(body, s.le);
      let cap = Math.min(orig, end - (body + 4));
      if (iface.snapLen > 0) cap = Math.min(cap, iface.snapLen);
      // A simple packet block has no time: it gets none (0).
      return packet(0, 0, 0, cap, body + 4);
    }
    default:
      return undefined;
  }
}

function readPcapng(bytes: Uint8Array, onPacket: (p: RawPacket) => void): CaptureFileResult {
  const v = view(bytes);
  const s: NgState = { le: true, interfaces: [], packets: 0 };
  const stop = (error: CaptureError): CaptureFileResult => ({ format: 'pcapng', packets: s.packets, error });
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) return stop(new CaptureError('truncated', 'a block header is cut short', off));
    const type = v.getUint32(off, s.le);
    if (type === PCAPNG_SHB || v.getUint32(off, !s.le) === PCAPNG_SHB) {
      const magic = v.getUint32(off + 8, true);
      if (magic === BYTE_ORDER_MAGIC) s.le = true;
      else if (magic === 0x4d3c2b1a) s.le = false;
      else return stop(new CaptureError('malformed', 'a section header has no byte-order magic', off + 8));
      s.interfaces = [];
    } else if (off === 0) {
      return stop(new CaptureError('not-a-capture', 'a pcapng file must start with a section header block', 0));
    }
    const len = v.getUint32(off + 4, s.le);
    if (len < 12 || len % 4 !== 0) return stop(new CaptureError('malformed', `a block claims a length of ${len} bytes`, off + 4));
    if (off + len > bytes.length) return stop(new CaptureError('truncated', 'a block is cut short', off));
    if (v.getUint32(off + len - 4, s.le) !== len) return stop(new CaptureError('malformed', "a block's trailing length does not match its leading one", off + len - 4));
    const error = ngBlock(bytes, v, s, { off, type: v.getUint32(off, s.le), len }, onPacket);
    if (error !== undefined) return stop(error);
    off += len;
  }
  return { format: 'pcapng', packets: s.packets };
}

/**
 * Calls `onPacket` for every packet of a pcap or pcapng file, in file order. Never throws: a file
 * that stops making sense ends the reading with a {@link CaptureError} in the result, and every
 * packet before it has been delivered.
 * @example readCaptureFile(bytes, (p) => packets.push(p)).error?.offset
 */
export function readCaptureFile(bytes: Uint8Array, onPacket: (p: RawPacket) => void): CaptureFileResult {
  const format = captureFormat(bytes);
  if (format === undefined) return { format: 'pcap', packets: 0, error: new CaptureError('not-a-capture', 'this is neither a pcap nor a pcapng file', 0) };
  return format === 'pcap' ? readPcap(bytes, onPacket) : readPcapng(bytes, onPacket);
}
