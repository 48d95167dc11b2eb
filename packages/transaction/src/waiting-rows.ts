/**
 * The storage of the waiting table's entries: one row per entry, each field in an array of its
 * own ("struct of arrays"). The numbers are in typed arrays; the few references an entry needs
 * (the arena chunk with its key and bytes, where a response goes, a To tag) are in plain arrays
 * that live in the old generation. So a waiting transaction is no object at all: the young
 * collections that run while it waits (a busy server waits on ~30 s of its traffic) have nothing
 * of it to copy, and its arrival allocates nothing that outlives the request (bench/BUDGET.md,
 * tenth pass). Rows are reused through a free list; the arrays double when full.
 * @see RFC 3261 §17.2.1, §17.2.2
 */
import type { PreparedResponse, Remote } from '@sipts/transport';

const INITIAL_ROWS = 64;

function grownInts(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(size);
  out.set(a);
  return out;
}

function grownFloats(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(size);
  out.set(a);
  return out;
}

function grownRefs<T>(a: (T | undefined)[], size: number): (T | undefined)[] {
  const out = new Array<T | undefined>(size).fill(undefined);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

/** Rows of waiting entries (see the module comment); the table (waiting.ts) gives the fields their meaning. */
export class WaitingRows {
  /** {@link keyHash} of the entry's key. */
  hash = new Int32Array(INITIAL_ROWS);
  /** Deadline on the table's clock, whole milliseconds. */
  at = new Float64Array(INITIAL_ROWS);
  /** State, flags and queue index (see waiting.ts). */
  flags = new Int32Array(INITIAL_ROWS);
  /** The merged-request entry to forget at the end (§8.2.2.2), 0 for none. */
  merge = new Int32Array(INITIAL_ROWS);
  /** Where the key starts in `chunk`, or -1 when it is kept in `text`. */
  keyAt = new Int32Array(INITIAL_ROWS);
  /** The key's length in characters. */
  keyLength = new Int32Array(INITIAL_ROWS);
  /** The response bytes: `offset · 65536 + length` in `chunk`, `WHOLE` (in `data`), or `NONE`. */
  span = new Int32Array(INITIAL_ROWS);
  /** The arena chunk holding the key and, when shared, the response bytes. */
  chunk: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_ROWS).fill(undefined);
  /** Where a response goes (`completed`, shared between entries), or where the request came from (INVITE states). */
  route: (PreparedResponse | Remote | undefined)[] = new Array<PreparedResponse | Remote | undefined>(INITIAL_ROWS).fill(undefined);
  /** A large response's own bytes, or the To tag of an INVITE's final response. */
  data: (Uint8Array | string | undefined)[] = new Array<Uint8Array | string | undefined>(INITIAL_ROWS).fill(undefined);
  /** The key, for the rare key the arena cannot hold (a character above U+00FF, or too long). */
  text: (string | undefined)[] = new Array<string | undefined>(INITIAL_ROWS).fill(undefined);

  #free = new Int32Array(INITIAL_ROWS);
  #freeCount = 0;
  /** Rows ever handed out (the ones below are in use or free). */
  #top = 0;

  /** A row to fill: a freed one, or the next new one. */
  alloc(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount] as number;
    if (this.#top === this.hash.length) this.#grow(this.hash.length * 2);
    return this.#top++;
  }

  /** Gives `row` back, letting go of what it referred to. */
  release(row: number): void {
    this.chunk[row] = undefined;
    this.route[row] = undefined;
    this.data[row] = undefined;
    this.text[row] = undefined;
    if (this.#freeCount === this.#free.length) this.#free = grownInts(this.#free, this.#free.length * 2);
    this.#free[this.#freeCount++] = row;
  }

  /** Forgets every row; the arrays shrink back to their first size. */
  reset(): void {
    const fresh = new WaitingRows();
    this.hash = fresh.hash;
    this.at = fresh.at;
    this.flags = fresh.flags;
    this.merge = fresh.merge;
    this.keyAt = fresh.keyAt;
    this.keyLength = fresh.keyLength;
    this.span = fresh.span;
    this.chunk = fresh.chunk;
    this.route = fresh.route;
    this.data = fresh.data;
    this.text = fresh.text;
    this.#free = fresh.#free;
    this.#freeCount = 0;
    this.#top = 0;
  }

  #grow(size: number): void {
    this.hash = grownInts(this.hash, size);
    this.at = grownFloats(this.at, size);
    this.flags = grownInts(this.flags, size);
    this.merge = grownInts(this.merge, size);
    this.keyAt = grownInts(this.keyAt, size);
    this.keyLength = grownInts(this.keyLength, size);
    this.span = grownInts(this.span, size);
    this.chunk = grownRefs(this.chunk, size);
    this.route = grownRefs(this.route, size);
    this.data = grownRefs(this.data, size);
    this.text = grownRefs(this.text, size);
  }
}

/**
 * Row numbers in first-in first-out order (one per timer duration in the table): a ring in an
 * `Int32Array` that doubles when full.
 */
export class RowQueue {
  #ring = new Int32Array(INITIAL_ROWS);
  #head = 0;
  #count = 0;

  /** Rows queued. */
  get count(): number {
    return this.#count;
  }

  push(row: number): void {
    if (this.#count === this.#ring.length) {
      const ring = new Int32Array(this.#ring.length * 2);
      for (let i = 0; i < this.#count; i++) ring[i] = this.#ring[(this.#head + i) % this.#ring.length] as number;
      this.#ring = ring;
      this.#head = 0;
    }
    this.#ring[(this.#head + this.#count) % this.#ring.length] = row;
    this.#count++;
  }

  /** The oldest row (the queue must not be empty). */
  peek(): number {
    return this.#ring[this.#head] as number;
  }

  /** Removes the oldest row and returns it (the queue must not be empty). */
  shift(): number {
    const row = this.#ring[this.#head] as number;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#count--;
    return row;
  }

  /** Empties the queue; its ring shrinks back to its first size. */
  reset(): void {
    this.#ring = new Int32Array(INITIAL_ROWS);
    this.#head = 0;
    this.#count = 0;
  }
}
