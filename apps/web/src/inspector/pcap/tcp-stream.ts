/**
 * TCP segments and their reassembly into the byte stream each side sent: sequence numbers decide
 * the order, so retransmitted and overlapping segments are trimmed and out-of-order ones held
 * until the gap before them is filled (RFC 9293 §3.4). Pure; every table is bounded.
 */

/** The parts of a TCP header the reader needs. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
}

/**
 * Reads a TCP header; undefined when it is too short or its data offset is impossible.
 * @see RFC 9293 §3.1
 */
export function parseTcp(b: Uint8Array): TcpSegment | undefined {
  if (b.length < 20) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = ((b[12] ?? 0) >> 4) * 4;
  if (dataOffset < 20 || dataOffset > b.length) return undefined;
  const flags = b[13] ?? 0;
  return {
    srcPort: v.getUint16(0, false),
    dstPort: v.getUint16(2, false),
    seq: v.getUint32(4, false),
    syn: (flags & 0x02) !== 0,
    fin: (flags & 0x01) !== 0,
    rst: (flags & 0x04) !== 0,
    payload: b.subarray(dataOffset),
  };
}

/** What pushing one segment gave: bytes now in order, and whether a gap was given up on first. */
export interface Delivery {
  chunks: Uint8Array[];
  /** Bytes were lost before `chunks` (the held segments exceeded their bound). */
  gap: boolean;
  /** The segment only repeated bytes already delivered. */
  retransmission: boolean;
}

/** Bounds of one direction's out-of-order store. */
export interface ReassemblyLimits {
  /** Segments held ahead of a gap. Default 512. */
  maxHeldSegments?: number;
  /** Bytes held ahead of a gap. Default 4 MiB. */
  maxHeldBytes?: number;
}

/** `a - b` in sequence space: negative when `a` comes before `b` (mod 2^32). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** One direction of a TCP connection. */
export interface TcpDirection {
  push(segment: TcpSegment): Delivery;
  /** Segments that repeated bytes already delivered (retransmissions, wholly or in part). */
  readonly retransmissions: number;
}

/**
 * Creates the reassembler of one direction of a connection.
 * @example const d = createTcpDirection(); for (const c of d.push(seg).chunks) framer.push(c)
 */
export function createTcpDirection(limits: ReassemblyLimits = {}): TcpDirection {
  const maxSegments = limits.maxHeldSegments ?? 512;
  const maxBytes = limits.maxHeldBytes ?? 4 * 1024 * 1024;
  let next: number | undefined;
  let held: { seq: number; data: Uint8Array }[] = [];
  let heldBytes = 0;
  let retransmissions = 0;

  /** Trims `data` at `seq` to what comes at or after `next`; undefined when nothing new is left. */
  function fresh(seq: number, data: Uint8Array): Uint8Array | undefined {
    const rel = seqDiff(seq, next ?? seq);
    if (rel + data.length <= 0) return undefined;
    return rel < 0 ? data.subarray(-rel) : data;
  }

  function drainHeld(chunks: Uint8Array[]): void {
    for (;;) {
      const i = held.findIndex((h) => seqDiff(h.seq, next ?? h.seq) <= 0);
      if (i === -1) return;
      const [h] = held.splice(i, 1);
      if (h === undefined) return;
      heldBytes -= h.data.length;
      const data = fresh(h.seq, h.data);
      if (data !== undefined) {
        chunks.push(data);
        next = ((next ?? 0) + data.length) >>> 0;
      }
    }
  }

  return {
    push(s) {
      const out: Delivery = { chunks: [], gap: false, retransmission: false };
      if (s.syn) {
        next = (s.seq + 1) >>> 0;
        held = [];
        heldBytes = 0;
      }
      if (s.payload.length === 0) return out;
      next ??= s.seq;
      const seq = s.syn ? (s.seq + 1) >>> 0 : s.seq;
      const rel = seqDiff(seq, next);
      if (rel > 0) {
        held.push({ seq, data: s.payload });
        heldBytes += s.payload.length;
        if (held.length > maxSegments || heldBytes > maxBytes) {
          // Give up on the gap: carry on from the earliest held segment.
          out.gap = true;
          next = held.reduce((m, h) => (seqDiff(h.seq, m) < 0 ? h.seq : m), seq);
          drainHeld(out.chunks);
        }
        return out;
      }
      const data = fresh(seq, s.payload);
      if (data === undefined || data.length < s.payload.length) {
        retransmissions++;
        out.retransmission = data === undefined;
      }
      if (data !== undefined) {
        out.chunks.push(data);
        next = (next + data.length) >>> 0;
      }
      drainHeld(out.chunks);
      return out;
    },
    get retransmissions() {
      return retransmissions;
    },
  };
}
