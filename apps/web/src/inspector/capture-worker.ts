/**
 * The Web Worker that reads a capture file off the page's main thread: it receives the file's
 * bytes, posts batches of messages as they are read, then a summary.
 */
import { loadCapture, type LoadBatch, type LoadSummary } from './capture-load.js';
import type { MessageRecord } from './capture-record.js';
import { groupCalls, retransmissions, type Call } from './calls.js';

/** What the page posts to the worker. */
export interface WorkerRequest {
  id: number;
  buffer: ArrayBuffer;
}

/** What the worker posts back. */
export type WorkerReply = { id: number; kind: 'batch'; batch: LoadBatch } | { id: number; kind: 'done'; summary: LoadSummary; ms: number; calls: Call[]; retransmissions: boolean[] } | { id: number; kind: 'failed'; message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const { id, buffer } = e.data;
  const t0 = performance.now();
  const records: MessageRecord[] = [];
  try {
    const summary = loadCapture(new Uint8Array(buffer), {
      onBatch(batch) {
        for (const r of batch.records) records.push(r);
        scope.postMessage({ id, kind: 'batch', batch }, [batch.bytes.buffer]);
      },
    });
    // Calls and retransmissions over the whole capture are worked out here too, off the page's thread.
    scope.postMessage({ id, kind: 'done', summary, ms: performance.now() - t0, calls: groupCalls(records), retransmissions: retransmissions(records) });
  } catch (err) {
    // Not expected (the reader reports damage as data), but the page must hear of it either way.
    scope.postMessage({ id, kind: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
};
