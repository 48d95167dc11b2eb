/**
 * What the page keeps of each message read from a capture: where and when it was seen, and the
 * few parsed fields that calls, the ladder and the filters need. Plain data, so that a Web Worker
 * can post it. Pure: no DOM.
 */
import { safeParseMessage, type NameAddr } from '@sipts/message';
import { summarize } from './inspect.js';
import type { CapturedMessage, CaptureTransport } from './pcap/extract.js';

/** One captured message, summarised. */
export interface MessageRecord {
  /** Position in the capture's message list, from 0. */
  index: number;
  frame: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  src: string;
  dst: string;
  transport: CaptureTransport;
  ok: boolean;
  /** The list's title and detail (see `summarize`). */
  title: string;
  detail: string;
  method?: string;
  status?: number;
  reason?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  /** The top Via's branch. */
  branch?: string;
  fromTag?: string;
  toTag?: string;
  /** From and To as `Display <uri>` text. */
  from?: string;
  to?: string;
  /** The parse error's code, for a message that failed to parse. */
  error?: string;
}

function nameAddrText(n: NameAddr | undefined): string | undefined {
  if (n === undefined) return undefined;
  const name = n.name !== undefined && /^".*"$/s.test(n.name) ? n.name.slice(1, -1).replace(/\\(.)/g, '$1') : n.name;
  return name === undefined || name === '' ? n.uri : `${name} <${n.uri}>`;
}

/**
 * Parses a captured message and keeps what the page needs of it.
 * @example describeCaptured(extractSip(bytes).messages[0], 0).callId
 */
export function describeCaptured(m: CapturedMessage, index: number): MessageRecord {
  const r = safeParseMessage(m.bytes);
  const s = summarize(r, m.bytes);
  const base: MessageRecord = { index, frame: m.frame, time: m.time, src: m.src, dst: m.dst, transport: m.transport, ok: r.ok, title: s.title, detail: s.detail };
  if (!r.ok) return { ...base, error: r.error.code };
  const msg = r.message;
  const h = msg.headers;
  const out: MessageRecord = { ...base };
  if (msg.method !== undefined) out.method = msg.method;
  if (msg.status !== undefined) out.status = msg.status;
  if (msg.reason !== undefined) out.reason = msg.reason;
  if (h['call-id'] !== undefined) out.callId = h['call-id'];
  if (h.cseq !== undefined) {
    out.cseq = h.cseq.seq;
    out.cseqMethod = h.cseq.method;
  }
  const branch = h.via?.[0]?.params.branch;
  if (typeof branch === 'string') out.branch = branch;
  const fromTag = h.from?.params.tag;
  const toTag = h.to?.params.tag;
  if (typeof fromTag === 'string') out.fromTag = fromTag;
  if (typeof toTag === 'string') out.toTag = toTag;
  const from = nameAddrText(h.from);
  const to = nameAddrText(h.to);
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
}
