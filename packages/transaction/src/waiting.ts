/**
 * Transactions that only wait: a server transaction in Completed under Timer J (non-INVITE), in
 * Confirmed under Timer I or in Accepted under Timer L (INVITE). Their machine has nothing left to
 * decide: it absorbs retransmissions, or answers them with the response it already sent. So the
 * transaction layer keeps them here, compact, instead of the machine: the key, where the response
 * went, the deadline and the serialized response (its bytes in a shared {@link ByteArena}), nothing
 * else (no parsed request, no response object, no `Uint8Array` of its own, no closure).
 *
 * Every timer of one duration ends entries in the order they were added, so the table keeps one
 * {@link KeyIndex} by key for lookups (a busy server waits on ~30 s of its traffic, too many for a
 * `Map` to look up cheaply) and, per duration, an array of entries in insertion order with one
 * clock timer for the oldest: no timer entry and no callback per transaction.
 * @see RFC 3261 §17.2.1, §17.2.2 (Timers I, J), RFC 6026 §7.1 (Timer L)
 */
import type { PreparedResponse, Remote } from '@sipts/transport';
import { ByteArena, viewOf, WHOLE } from './byte-arena.js';
import type { Clock, TimerHandle } from './clock.js';
import { KeyIndex, keyHash } from './key-index.js';

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

/**
 * One waiting transaction, as the layer's table keeps it: eight fields, every one a reference the
 * entry needs or a small integer (no boxed number, no object of its own).
 */
export class WaitingEntry {
  constructor(
    /** The server-transaction key (§17.2.3). */
    readonly key: string,
    /** The table index's hash of `key` (a small integer). */
    readonly hash: number,
    /**
     * `completed`: the prepared response without its bytes (where they go, its status);
     * INVITE states: where the request came from (a 2xx retransmission from the TU goes there);
     * undefined for a client transaction ({@link WaitingTable.addClient}).
     */
    readonly route: PreparedResponse | Remote | undefined,
    /** `completed`: the arena chunk holding the bytes. INVITE states: the To tag of the final response (§9.2). */
    readonly data: Uint8Array | string | undefined,
    /** `completed`: where in `data` the bytes are (see {@link viewOf}). */
    readonly span: number,
    /** Deadline on the table's clock, whole milliseconds (a small integer, stored unboxed). */
    readonly at: number,
    /** The merged-request entry to forget when the entry ends (§8.2.2.2; a small integer). */
    readonly merge: number | undefined,
    /** The state, the answered-by-layer and removed bits, the queue index. */
    public flags: number,
  ) {}

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

/** The entries of one duration, oldest first from `head`; removed ones stay until they reach the head. */
interface Queue {
  readonly ms: number;
  entries: WaitingEntry[];
  head: number;
  /** Entries in `entries` not removed. */
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
  readonly #byKey = new KeyIndex<WaitingEntry>();
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
    return this.#byKey.size;
  }

  /**
   * Adds the entry of `key`, ending `handOff.ms` from now. The key must not be waiting already
   * (the layer hands over a live transaction, and a key is live or waiting, never both).
   */
  add(key: string, handOff: WaitingHandOff, layer: WaitingLayerData, hash: number = keyHash(key)): WaitingEntry {
    const ms = handOff.ms > 0 ? handOff.ms : 0;
    const index = this.#queueIndex(ms);
    const flags = STATES.indexOf(handOff.what) | (layer.answeredByLayer ? ANSWERED_BY_LAYER : 0) | (index << QUEUE_SHIFT);
    const at = Math.ceil(this.#clock.now()) + ms;
    const prepared = handOff.what === 'completed' ? handOff.bytes : undefined;
    let entry: WaitingEntry;
    if (prepared === undefined) {
      entry = new WaitingEntry(key, hash, handOff.remote, handOff.what === 'completed' ? undefined : layer.toTag, WHOLE, at, layer.merge, flags);
    } else {
      const stored = this.#arena.store(prepared.bytes);
      entry = new WaitingEntry(key, hash, this.#route(prepared), stored.chunk, stored.span, at, layer.merge, flags);
    }
    this.#insert(entry, index, ms);
    return entry;
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
    this.#insert(new WaitingEntry(key, hash, undefined, undefined, WHOLE, Math.ceil(this.#clock.now()) + due, undefined, index << QUEUE_SHIFT), index, due);
  }

  #insert(entry: WaitingEntry, index: number, ms: number): void {
    this.#byKey.add(entry);
    const queue = this.#queues[index] as Queue;
    queue.entries.push(entry);
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

  /** The entry of `key` (`hash`: its {@link keyHash}, when the caller has it already). */
  get(key: string, hash: number = keyHash(key)): WaitingEntry | undefined {
    return this.#byKey.get(key, hash);
  }

  /** Removes the entry of `key` without calling `onExpired`; true if there was one. */
  delete(key: string, hash: number = keyHash(key)): boolean {
    const entry = this.#byKey.get(key, hash);
    if (entry === undefined) return false;
    this.#byKey.remove(entry);
    entry.flags |= REMOVED;
    const q = this.#queues[entry.flags >> QUEUE_SHIFT] as Queue;
    if (--q.live === 0) this.#empty(q);
    return true;
  }

  /** Removes every entry and timer, calling nothing (layer shutdown). */
  clear(): void {
    this.#byKey.clear();
    for (const q of this.#queues) this.#empty(q);
    this.#arena.reset();
    this.#lastRoute = undefined;
  }

  #queueIndex(ms: number): number {
    const queues = this.#queues;
    for (let i = 0; i < queues.length; i++) if ((queues[i] as Queue).ms === ms) return i;
    const created: Queue = {
      ms,
      entries: [],
      head: 0,
      live: 0,
      timer: undefined,
      fire: () => {
        this.#expire(created);
      },
    };
    queues.push(created);
    return queues.length - 1;
  }

  /** No live entry left: the timer cleared, the array dropped. */
  #empty(q: Queue): void {
    if (q.timer !== undefined) this.#clock.clear(q.timer);
    q.timer = undefined;
    q.entries = [];
    q.head = 0;
    q.live = 0;
  }

  /** The queue's timer fired: end every entry that is due (the oldest first), re-arm for the next. */
  #expire(q: Queue): void {
    q.timer = undefined;
    const now = this.#clock.now();
    const entries = q.entries;
    let head = q.head;
    while (head < entries.length) {
      const entry = entries[head] as WaitingEntry;
      if ((entry.flags & REMOVED) === 0) {
        if (entry.at > now) {
          q.timer = this.#clock.set(entry.at - now, q.fire);
          break;
        }
        entry.flags |= REMOVED;
        this.#byKey.remove(entry);
        q.live--;
        this.#onExpired(entry);
        // onExpired may have added to or emptied this queue.
        if (q.entries !== entries) return;
      }
      head++;
    }
    if (head >= entries.length) {
      q.entries = [];
      q.head = 0;
      return;
    }
    // Drop the ended prefix once it is most of the array (amortised O(1) per entry).
    if (head > 1024 && head * 2 > entries.length) {
      q.entries = entries.slice(head);
      q.head = 0;
    } else {
      q.head = head;
    }
  }
}
