/**
 * The messages of an opened capture on the page's side: their summaries and bytes as the worker's
 * batches bring them, the calls and retransmission marks, and what a filter lets through.
 * Pure: no DOM.
 */
import type { LoadBatch } from './capture-load.js';
import type { MessageRecord } from './capture-record.js';
import { groupCalls, retransmissions, type Call } from './calls.js';
import { isEmptyFilter, matchesFilter, type MessageFilter } from './filter.js';

interface Chunk {
  first: number;
  bytes: Uint8Array;
  offsets: number[];
}

/** What a filter lets through: the calls with a matching message, and the messages to list. */
export interface CaptureView {
  calls: Call[];
  /** Message indices in time order (then capture order). */
  messages: number[];
}

const dec = new TextDecoder();

/** A capture's messages, calls and filters. */
export class CaptureStore {
  readonly records: MessageRecord[] = [];
  calls: Call[] = [];
  private chunks: Chunk[] = [];
  private marks: boolean[] = [];
  private texts: (string | undefined)[] = [];

  /** Adds a batch from the worker (its records continue the numbering); then call {@link update}. */
  add(batch: LoadBatch): void {
    this.chunks.push({ first: this.records.length, bytes: batch.bytes, offsets: batch.offsets });
    for (const r of batch.records) this.records.push(r);
  }

  /** Recomputes calls and retransmission marks over every message so far. */
  update(): void {
    this.marks = retransmissions(this.records);
    this.calls = groupCalls(this.records);
  }

  /** Takes calls and retransmission marks worked out elsewhere (by the worker) for every message. */
  analysed(calls: Call[], marks: boolean[]): void {
    this.calls = calls;
    this.marks = marks;
  }

  /** The bytes of message `index`. */
  bytesOf(index: number): Uint8Array {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.chunks[mid]?.first ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    const c = this.chunks[lo];
    if (c === undefined) return new Uint8Array(0);
    const i = index - c.first;
    return c.bytes.subarray(c.offsets[i] ?? 0, c.offsets[i + 1] ?? 0);
  }

  isRetransmission(index: number): boolean {
    return this.marks[index] === true;
  }

  /** The message's text in lower case, decoded once and kept. */
  textOf(r: MessageRecord): string {
    return (this.texts[r.index] ??= dec.decode(this.bytesOf(r.index)).toLowerCase());
  }

  /** Every request method in the capture, sorted. */
  methods(): string[] {
    const set = new Set<string>();
    for (const r of this.records) if (r.method !== undefined) set.add(r.method);
    return [...set].sort();
  }

  /**
   * The calls with a message that passes `filter`, and the passing messages of call `call` (a
   * position in those calls), or of every call when `call` is `all`.
   */
  view(filter: MessageFilter, call: number | 'all'): CaptureView {
    const byTime = (a: number, b: number): number => (this.records[a]?.time ?? 0) - (this.records[b]?.time ?? 0) || a - b;
    if (isEmptyFilter(filter)) {
      const picked = call === 'all' ? this.records.map((r) => r.index) : (this.calls[call]?.messages ?? []);
      return { calls: this.calls, messages: [...picked].sort(byTime) };
    }
    const pass = this.records.map((r) => matchesFilter(r, filter, (x) => this.textOf(x)));
    const calls = this.calls.filter((c) => c.messages.some((i) => pass[i]));
    const picked = call === 'all' ? this.records.map((r) => r.index) : (calls[call]?.messages ?? []);
    return { calls, messages: picked.filter((i) => pass[i]).sort(byTime) };
  }
}
