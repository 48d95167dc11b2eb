/**
 * Loading a capture file in batches: messages are read (pcap/extract.ts), summarised
 * (capture-record.ts) and handed on in batches whose bytes travel in one buffer, so that a Web
 * Worker can post them cheaply and the page can list the first ones while the rest is read.
 * Pure: the worker (capture-worker.ts) and the Node tests run it as it is.
 */
import { describeCaptured, type MessageRecord } from './capture-record.js';
import type { CaptureErrorCode } from './pcap/capture-error.js';
import { extractSip, type CaptureStats, type CapturedMessage } from './pcap/extract.js';

/** Messages of a capture and their bytes: message `i` of the batch is `bytes[offsets[i], offsets[i+1])`. */
export interface LoadBatch {
  records: MessageRecord[];
  bytes: Uint8Array;
  offsets: number[];
}

/** The end of a load. */
export interface LoadSummary {
  format: 'pcap' | 'pcapng';
  stats: CaptureStats;
  truncated: boolean;
  /** Why reading stopped early (plain data: it crosses a worker boundary). */
  error?: { code: CaptureErrorCode; message: string; offset: number };
}

/** Options of {@link loadCapture}. */
export interface LoadOptions {
  onBatch: (batch: LoadBatch) => void;
  /** Size of the first batch (small: the page lists it at once). Default 200. */
  firstBatch?: number;
  /** Size of the later batches. Default 10,000. */
  batchSize?: number;
  maxMessages?: number;
}

function pack(messages: CapturedMessage[], firstIndex: number): LoadBatch {
  const offsets = [0];
  for (const m of messages) offsets.push((offsets.at(-1) ?? 0) + m.bytes.length);
  const bytes = new Uint8Array(offsets.at(-1) ?? 0);
  messages.forEach((m, i) => { bytes.set(m.bytes, offsets[i] ?? 0); });
  return { records: messages.map((m, i) => describeCaptured(m, firstIndex + i)), bytes, offsets };
}

/**
 * Reads a pcap/pcapng file and hands its messages on in batches; returns the summary.
 * @example loadCapture(bytes, { onBatch: (b) => postMessage(b, [b.bytes.buffer]) })
 */
export function loadCapture(file: Uint8Array, options: LoadOptions): LoadSummary {
  const first = options.firstBatch ?? 200;
  const size = options.batchSize ?? 10_000;
  let pending: CapturedMessage[] = [];
  let sent = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    const batch = pack(pending, sent);
    sent += pending.length;
    pending = [];
    options.onBatch(batch);
  };
  const x = extractSip(file, {
    ...(options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages }),
    onMessage(m) {
      pending.push(m);
      if (pending.length >= (sent === 0 ? first : size)) flush();
    },
  });
  flush();
  const out: LoadSummary = { format: x.format, stats: x.stats, truncated: x.truncated };
  if (x.error !== undefined) out.error = { code: x.error.code, message: x.error.message, offset: x.error.offset };
  return out;
}
