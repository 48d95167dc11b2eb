/**
 * Transactions that only wait: a server transaction in Completed under Timer J (non-INVITE), in
 * Confirmed under Timer I or in Accepted under Timer L (INVITE). Their machine has nothing left to
 * decide: it absorbs retransmissions, or answers them with the response it already sent. So the
 * transaction layer keeps them here, compact, instead of the machine: the key and the serialized
 * response (their bytes side by side in a shared {@link ByteArena} chunk), where the response
 * went, the deadline, nothing else (no parsed request, no response object, no closure).
 *
 * An entry is a row of typed arrays and a few old-generation arrays (waiting-rows.ts), not an
 * object: a busy server waits on ~30 s of its traffic, and as objects those entries were most of
 * what its young collections copied and most of what grew its old generation (bench/BUDGET.md,
 * tenth pass). A {@link RowIndex} finds rows by key hash (the key is compared in the arena only on
 * a hash match), and per duration a {@link RowQueue} keeps rows in insertion order with one clock
 * timer for the oldest: no timer entry and no callback per transaction.
 * @see RFC 3261 §17.2.1, §17.2.2 (Timers I, J), RFC 6026 §7.1 (Timer L)
 */
import type { PreparedResponse, Remote } from '@sipts/transport';
import { ByteArena, keyIsAt, keyOf, viewOf, WHOLE } from './byte-arena.js';
import type { Clock, TimerHandle } from './clock.js';
import { RowIndex, keyHash } from './key-index.js';
import { RowQueue, WaitingRows } from './waiting-rows.js';

/** Which waiting state: `completed` (non-INVITE, Timer J), `confirmed` (INVITE, I), `accepted` (INVITE, L). */
export type WaitingState = 'completed' | 'confirmed' | 'accepted';

/** What a machine hands over when it enters a waiting state (its user's `onWaiting`). */
export interface WaitingHandOff {
  readonly what: WaitingState;
  /** Where the request came from: retransmissions are answered there. */
  readonly remote: Remote;
  /** The final response as sent, re-sent for each retransmitted request (`completed` only). */
  readonly bytes: PreparedResponse | undefined;
  /** How long the state lasts (the timer's value). */
  readonly ms: number;
}

const STATES: readonly WaitingState[] = ['completed', 'confirmed', 'accepted'];
/** Bits of {@link WaitingEntry.flags}: the state's index in `STATES` (bits 0-1), then these. */
const ANSWERED_BY_LAYER = 4;
const REMOVED = 8;
/** The index of the entry's queue, from this bit up. */
const QUEUE_SHIFT = 4;
const EMPTY = new Uint8Array(0);

/** `span` of an entry that has no response bytes (INVITE states, client transactions). */
const NONE = -2;

/**
 * A waiting transaction as the table hands it out: a copy of its row, made by `get` (a request or
 * response that matched it) and for `onExpired`. The table keeps no such object.
 */
export class WaitingEntry {
  #key: string | undefined;
  #chunk: Uint8Array | undefined;
  #keyAt: number;
  #keyLength: number;

  constructor(
    key: string | undefined,
    /** The table index's hash of `key` (a small integer). */
    readonly hash: number,
    /**
     * `completed`: the prepared response without its bytes (where they go, its status);
     * INVITE states: where the request came from (a 2xx retransmission from the TU goes there);
     * undefined for a client transaction ({@link WaitingTable.addClient}).
     */
    readonly route: PreparedResponse | Remote | undefined,
    /** `completed`: the arena chunk (or the array) holding the bytes. INVITE states: the To tag of the final response (§9.2). */
    readonly data: Uint8Array | string | undefined,
    /** `completed`: where in `data` the bytes are (see {@link viewOf}). */
    readonly span: number,
    /** Deadline on the table's clock, whole milliseconds. */
    readonly at: number,
    /** The merged-request entry to forget when the entry ends (§8.2.2.2; a small integer). */
    readonly merge: number | undefined,
    /** The state, the answered-by-layer bit, the queue index. */
    readonly flags: number,
    /** Where the key is when `key` is not given: read from there on first use. */
    chunk: Uint8Array | undefined,
    keyAt: number,
    keyLength: number,
  ) {
    this.#key = key;
    this.#chunk = chunk;
    this.#keyAt = keyAt;
    this.#keyLength = keyLength;
  }

  /** The server-transaction key (§17.2.3). */
  get key(): string {
    return (this.#key ??= keyOf(this.#chunk as Uint8Array, this.#keyAt, this.#keyLength));
  }

  get what(): WaitingState {
    return STATES[this.flags & 3] as WaitingState;
  }

  /** The response to resend (`completed` only): its bytes are a view into the arena, made on each call. */
  get bytes(): PreparedResponse | undefined {
    const data = this.data;
    if (typeof data === 'string' || data === undefined) return undefined;
    return { ...(this.route as PreparedResponse), bytes: viewOf(data, this.span) };
  }

  /** Where the request came from (INVITE states); undefined for `completed` (its bytes know where they go). */
  get remote(): Remote | undefined {
    return (this.flags & 3) === 0 ? undefined : (this.route as Remote);
  }

  /** The To tag of an INVITE's final response. */
  get toTag(): string | undefined {
    return typeof this.data === 'string' ? this.data : undefined;
  }

  /** The layer answered the request itself (§9.2): the user's later responses are absorbed. */
  get answeredByLayer(): boolean {
    return (this.flags & ANSWERED_BY_LAYER) !== 0;
  }
}

/** The layer's bookkeeping an entry copies (three values, never the object that holds them). */
export interface WaitingLayerData {
  /** The merged-request entry to forget when the entry ends (§8.2.2.2; a small integer). */
  readonly merge: number | undefined;
  /** The layer answered the request itself (§9.2): the user's later responses are absorbed. */
  readonly answeredByLayer: boolean;
  /** The To tag of the final response (the 200 to a late CANCEL reuses it, §9.2). */
  readonly toTag: string | undefined;
}

function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/** Same own fields with the same values (===), but for `bytes` and `to`, whatever the port put in them. */
function sameFields(a: object, b: object, outer: boolean): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) if (!(outer && (k === 'bytes' || k === 'to')) && x[k] !== y[k]) return false;
  return keyCount(a) === keyCount(b);
}

/** `b` (fresh from the port) goes where `a` (a shell kept without bytes) went, with the same status and extras. */
function sameRoute(a: PreparedResponse, b: PreparedResponse): boolean {
  return a.status === b.status && (a.to === b.to || sameFields(a.to, b.to, false)) && sameFields(a, b, true);
}

/** The rows of one duration, oldest first; removed ones stay until they reach the head. */
interface Queue {
  readonly ms: number;
  readonly rows: RowQueue;
  /** Rows queued and not removed. */
  live: number;
  timer: TimerHandle | undefined;
  readonly fire: () => void;
}

/** Options of {@link WaitingTable}. */
export interface WaitingTableOptions {
  clock: Clock;
  /** An entry's timer ran out (it has left the table). */
  onExpired: (entry: WaitingEntry) => void;
}

/**
 * The layer's table of waiting transactions, by key.
 * @example table.add(key, handOff, handle); table.get(key)?.bytes
 * @see RFC 3261 §17.2.1, §17.2.2; RFC 6026 §7.1
 */
export class WaitingTable {
  readonly #index = new RowIndex();
  readonly #rows = new WaitingRows();
  /** One queue per duration (two or three in practice: 64·T1, T4). */
  readonly #queues: Queue[] = [];
  readonly #arena = new ByteArena();
  #lastRoute: PreparedResponse | undefined = undefined;
  readonly #clock: Clock;
  readonly #onExpired: (entry: WaitingEntry) => void;

  constructor(options: WaitingTableOptions) {
    this.#clock = options.clock;
    this.#onExpired = options.onExpired;
  }

  /** Waiting transactions. */
  get size(): number {
    return this.#index.size;
  }

  /**
   * Adds the entry of `key`, ending `handOff.ms` from now. The key must not be waiting already
   * (the layer hands over a live transaction, and a key is live or waiting, never both).
   */
  add(key: string, handOff: WaitingHandOff, layer: WaitingLayerData, hash: number = keyHash(key)): void {
    const ms = handOff.ms > 0 ? handOff.ms : 0;
    const index = this.#queueIndex(ms);
    const completed = handOff.what === 'completed';
    const prepared = completed ? handOff.bytes : undefined;
    const row = this.#row(key, hash, prepared?.bytes, ms);
    const rows = this.#rows;
    rows.flags[row] = STATES.indexOf(handOff.what) | (layer.answeredByLayer ? ANSWERED_BY_LAYER : 0) | (index << QUEUE_SHIFT);
    rows.merge[row] = layer.merge ?? 0;
    if (prepared === undefined) {
      rows.route[row] = handOff.remote;
      if (!completed) rows.data[row] = layer.toTag;
    } else {
      rows.route[row] = this.#route(prepared);
    }
    this.#insert(row, hash, index, ms);
  }

  /**
   * Adds a client transaction that only waits, ending `ms` from now: a non-INVITE in Completed
   * under Timer K (RFC 3261 §17.1.2.2) or an INVITE in Accepted under Timer M (RFC 6026 §7.2).
   * Its entry is the key and the deadline, nothing else (what a further 2xx goes to is the
   * layer's). The key must not be waiting already.
   */
  addClient(key: string, ms: number, hash: number = keyHash(key)): void {
    const due = ms > 0 ? ms : 0;
    const index = this.#queueIndex(due);
    const row = this.#row(key, hash, undefined, due);
    this.#rows.flags[row] = index << QUEUE_SHIFT;
    this.#rows.merge[row] = 0;
    this.#insert(row, hash, index, due);
  }

  /**
   * A new row holding `key`, its hash, its deadline and `bytes` (stored in the arena next to the
   * key when they fit; `span` is {@link NONE} without bytes).
   */
  #row(key: string, hash: number, bytes: Uint8Array | undefined, ms: number): number {
    const rows = this.#rows;
    const row = rows.alloc();
    rows.hash[row] = hash;
    rows.at[row] = Math.ceil(this.#clock.now()) + ms;
    rows.keyLength[row] = key.length;
    const keyed = this.#arena.storeKeyed(key, bytes);
    rows.keyAt[row] = keyed === undefined ? -1 : keyed.keyAt;
    if (keyed === undefined) rows.text[row] = key;
    // A key kept as text leaves the bytes to a store of their own.
    const stored = keyed ?? (bytes === undefined ? undefined : this.#arena.store(bytes));
    rows.chunk[row] = stored?.chunk;
    if (bytes === undefined || stored === undefined) {
      rows.span[row] = NONE;
      return row;
    }
    rows.span[row] = stored.span;
    if (stored.span === WHOLE) rows.data[row] = bytes;
    return row;
  }

  #insert(row: number, hash: number, index: number, ms: number): void {
    this.#index.add(hash, row);
    const queue = this.#queues[index] as Queue;
    queue.rows.push(row);
    queue.live++;
    queue.timer ??= this.#clock.set(ms, queue.fire);
  }

  /**
   * The prepared response without its bytes, shared with the previous entry when it goes to the
   * same place with the same status (a busy peer, a proxy's next hop): no object per entry then.
   */
  #route(prepared: PreparedResponse): PreparedResponse {
    const last = this.#lastRoute;
    if (last !== undefined && sameRoute(last, prepared)) return last;
    return (this.#lastRoute = { ...prepared, bytes: EMPTY });
  }

  /** The row of `key`, or -1. */
  #find(key: string, hash: number): number {
    const index = this.#index;
    const rows = this.#rows;
    for (let s = index.first(hash); s !== -1; s = index.next(s, hash)) {
      const row = index.rowAt(s);
      const at = rows.keyAt[row] as number;
      if (at >= 0 ? keyIsAt(rows.chunk[row] as Uint8Array, at, rows.keyLength[row] as number, key) : rows.text[row] === key) return row;
    }
    return -1;
  }

  /** A copy of `row` (`key`: its key, when the caller has it). */
  #entry(row: number, key: string | undefined): WaitingEntry {
    const rows = this.#rows;
    const span = rows.span[row] as number;
    const merge = rows.merge[row] as number;
    const data = span === WHOLE || span === NONE ? rows.data[row] : rows.chunk[row];
    return new WaitingEntry(key ?? rows.text[row], rows.hash[row] as number, rows.route[row], data, span, rows.at[row] as number, merge === 0 ? undefined : merge, rows.flags[row] as number, rows.chunk[row], rows.keyAt[row] as number, rows.keyLength[row] as number);
  }

  /** The entry of `key` (`hash`: its {@link keyHash}, when the caller has it already). */
  get(key: string, hash: number = keyHash(key)): WaitingEntry | undefined {
    const row = this.#find(key, hash);
    return row < 0 ? undefined : this.#entry(row, key);
  }

  /** Removes the entry of `key` without calling `onExpired`; true if there was one. */
  delete(key: string, hash: number = keyHash(key)): boolean {
    const row = this.#find(key, hash);
    if (row < 0) return false;
    this.#index.remove(hash, row);
    const flags = this.#rows.flags[row] as number;
    this.#rows.flags[row] = flags | REMOVED;
    const q = this.#queues[flags >> QUEUE_SHIFT] as Queue;
    if (--q.live === 0) this.#empty(q);
    return true;
  }

  /** Removes every entry and timer, calling nothing (layer shutdown). */
  clear(): void {
    this.#index.clear();
    for (const q of this.#queues) this.#empty(q);
    this.#rows.reset();
    this.#arena.reset();
    this.#lastRoute = undefined;
  }

  #queueIndex(ms: number): number {
    const queues = this.#queues;
    for (let i = 0; i < queues.length; i++) if ((queues[i] as Queue).ms === ms) return i;
    const created: Queue = {
      ms,
      rows: new RowQueue(),
      live: 0,
      timer: undefined,
      fire: () => {
        this.#expire(created);
      },
    };
    queues.push(created);
    return queues.length - 1;
  }

  /** No live row left: the timer cleared, the removed rows given back. */
  #empty(q: Queue): void {
    if (q.timer !== undefined) this.#clock.clear(q.timer);
    q.timer = undefined;
    while (q.rows.count > 0) this.#rows.release(q.rows.shift());
    q.rows.reset();
    q.live = 0;
  }

  /** The queue's timer fired: end every row that is due (the oldest first), re-arm for the next. */
  #expire(q: Queue): void {
    q.timer = undefined;
    const now = this.#clock.now();
    const rows = this.#rows;
    while (q.rows.count > 0) {
      const row = q.rows.peek();
      const flags = rows.flags[row] as number;
      if ((flags & REMOVED) === 0) {
        const at = rows.at[row] as number;
        if (at > now) {
          q.timer = this.#clock.set(at - now, q.fire);
          return;
        }
        this.#index.remove(rows.hash[row] as number, row);
        q.live--;
        const entry = this.#entry(row, undefined);
        q.rows.shift();
        rows.release(row);
        // onExpired may add to this queue or empty it: the loop reads the queue again.
        this.#onExpired(entry);
      } else {
        q.rows.shift();
        rows.release(row);
      }
    }
  }
}
