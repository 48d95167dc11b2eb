/**
 * A capture file in, its SIP messages out, each with its time, source, destination and transport:
 * pcap/pcapng container → link layer → IP (fragments reassembled) → UDP (SIP recognised by content,
 * on any port) or TCP (streams reassembled, then SIP framed by Content-Length, or WebSocket after
 * an HTTP upgrade). Pure: runs in a Web Worker, in the page, or in Node.
 */
import { endpointText } from './address.js';
import { type CaptureError } from './capture-error.js';
import { readCaptureFile, type CaptureFormat } from './capture-file.js';
import { createIpReader, type IpDatagram } from './ip.js';
import { ipPayload } from './link-layer.js';
import { isKeepAlive, startsWithSipLine } from './sip-detect.js';
import { createStreamPayload, type StreamEvent, type StreamPayload } from './tcp-payload.js';
import { createTcpDirection, parseTcp, type TcpDirection } from './tcp-stream.js';

/** The transport a message was read from. */
export type CaptureTransport = 'UDP' | 'TCP' | 'WS';

/** One SIP message read from a capture. */
export interface CapturedMessage {
  /** The packet (1-based, as Wireshark numbers frames) whose arrival completed the message. */
  frame: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** `host:port` (`[v6]:port`). */
  src: string;
  dst: string;
  transport: CaptureTransport;
  bytes: Uint8Array;
}

/** What was read besides messages. */
export interface CaptureStats {
  packets: number;
  messages: number;
  /** Packets with nothing SIP in them: other protocols, keep-alives, bare TCP acknowledgements. */
  notSip: number;
  /** TCP segments that only repeated bytes already seen. */
  retransmittedSegments: number;
  /** Fragments or streams given up on (bounds, gaps, framing errors). */
  dropped: number;
  /** Link types met that the reader does not know. */
  unknownLinkTypes: number[];
}

/** The outcome of {@link extractSip}. */
export interface Extraction {
  format: CaptureFormat;
  messages: CapturedMessage[];
  stats: CaptureStats;
  /** Why reading stopped early; every message before it is in `messages`. */
  error?: CaptureError;
  /** More than `maxMessages` messages: the rest were not read. */
  truncated: boolean;
}

/** Options of {@link extractSip}. */
export interface ExtractOptions {
  /** Stop after this many messages. Default {@link MAX_CAPTURE_MESSAGES}. */
  maxMessages?: number;
  /** Called for each message as it is found (a worker posts them in batches). */
  onMessage?: (m: CapturedMessage) => void;
  /** TCP connections followed at once; the oldest is forgotten past this. Default 4,096. */
  maxStreams?: number;
}

/** The default bound on the messages read from one capture. */
export const MAX_CAPTURE_MESSAGES = 250_000;

interface Direction {
  tcp: TcpDirection;
  payload: StreamPayload;
}

/**
 * Reads every SIP message of a pcap or pcapng file. Never throws: a damaged file ends with
 * `error` set (a {@link CaptureError} with the byte offset) and the messages read before it.
 * @example const { messages, error } = extractSip(new Uint8Array(await file.arrayBuffer()))
 * @see RFC 3261 §18.3 (framing on streams), RFC 7118 §5 (SIP over WebSocket)
 */
export function extractSip(bytes: Uint8Array, options: ExtractOptions = {}): Extraction {
  const max = options.maxMessages ?? MAX_CAPTURE_MESSAGES;
  const maxStreams = options.maxStreams ?? 4096;
  const messages: CapturedMessage[] = [];
  const stats: CaptureStats = { packets: 0, messages: 0, notSip: 0, retransmittedSegments: 0, dropped: 0, unknownLinkTypes: [] };
  const ip = createIpReader();
  const streams = new Map<string, Direction>();
  let truncated = false;

  function emit(frame: number, time: number, from: { src: string; dst: string; transport: CaptureTransport }, data: Uint8Array): void {
    if (messages.length >= max) {
      truncated = true;
      return;
    }
    const m: CapturedMessage = { frame, time, src: from.src, dst: from.dst, transport: from.transport, bytes: data };
    messages.push(m);
    options.onMessage?.(m);
  }

  function tcp(frame: number, time: number, d: IpDatagram): boolean {
    const seg = parseTcp(d.payload);
    if (seg === undefined) return false;
    const src = endpointText(d.src, seg.srcPort);
    const dst = endpointText(d.dst, seg.dstPort);
    const key = `${src}>${dst}`;
    let dir = streams.get(key);
    if (dir === undefined || (seg.syn && dir.payload.kind !== 'detect')) {
      if (dir === undefined && streams.size >= maxStreams) {
        const oldest = streams.keys().next().value;
        if (oldest !== undefined) streams.delete(oldest);
        stats.dropped++;
      }
      dir = { tcp: createTcpDirection(), payload: createStreamPayload() };
      streams.set(key, dir);
    }
    const delivery = dir.tcp.push(seg);
    if (delivery.retransmission) stats.retransmittedSegments++;
    const events: StreamEvent[] = delivery.gap ? dir.payload.gap() : [];
    for (const chunk of delivery.chunks) events.push(...dir.payload.push(chunk));
    let sip = false;
    for (const e of events) {
      if (e.kind === 'sip') {
        sip = true;
        emit(frame, time, { src, dst, transport: e.transport }, e.data);
      } else if (e.kind === 'error') stats.dropped++;
    }
    if (seg.fin || seg.rst) streams.delete(key);
    return sip || (seg.payload.length > 0 && (dir.payload.kind === 'sip' || dir.payload.kind === 'ws' || dir.payload.kind === 'detect'));
  }

  function udp(frame: number, time: number, d: IpDatagram): boolean {
    const b = d.payload;
    if (b.length < 8) return false;
    const srcPort = ((b[0] ?? 0) << 8) | (b[1] ?? 0);
    const dstPort = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
    const length = ((b[4] ?? 0) << 8) | (b[5] ?? 0);
    const data = b.subarray(8, length >= 8 && length <= b.length ? length : b.length);
    if (isKeepAlive(data) || !startsWithSipLine(data)) return false;
    emit(frame, time, { src: endpointText(d.src, srcPort), dst: endpointText(d.dst, dstPort), transport: 'UDP' }, data.slice());
    return true;
  }

  const file = readCaptureFile(bytes, (p) => {
    stats.packets++;
    if (truncated) return;
    const link = ipPayload(p.linkType, p.data);
    if (!link.ok) {
      if (link.reason === 'unknown-link-type' && !stats.unknownLinkTypes.includes(p.linkType)) stats.unknownLinkTypes.push(p.linkType);
      stats.notSip++;
      return;
    }
    const r = ip.read(link.ip);
    if (r.kind !== 'datagram') {
      if (r.kind === 'bad') stats.notSip++;
      return;
    }
    const d = r.datagram;
    const carried = d.protocol === 17 ? udp(p.frame, p.time, d) : d.protocol === 6 ? tcp(p.frame, p.time, d) : false;
    if (!carried) stats.notSip++;
  });
  stats.messages = messages.length;
  stats.dropped += ip.droppedFragments;
  const out: Extraction = { format: file.format, messages, stats, truncated };
  if (file.error !== undefined) out.error = file.error;
  return out;
}
