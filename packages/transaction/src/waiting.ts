/**
 * Transactions that only wait: a server transaction in Completed under Timer J (non-INVITE), in
 * Confirmed under Timer I or in Accepted under Timer L (INVITE). Their machine has nothing left to
 * decide: it absorbs retransmissions, or answers them with the response it already sent. So the
 * transaction layer keeps them here, compact, instead of the machine: the key, the remote, the
 * deadline and the serialized response, nothing else (no parsed request, no response object, no
 * closure).
 *
 * Every timer of one duration ends entries in the order they were added, so the table keeps one
 * insertion-ordered `Map` per duration and one clock timer for the oldest entry of each: no timer
 * entry and no callback per transaction.
 * @see RFC 3261 §17.2.1, §17.2.2 (Timers I, J), RFC 6026 §7.1 (Timer L)
 */
import type { Remote } from '@sipts/transport';
import type { Clock, TimerHandle } from './clock.js';

/** Which waiting state: `completed` (non-INVITE, Timer J), `confirmed` (INVITE, I), `accepted` (INVITE, L). */
export type WaitingState = 'completed' | 'confirmed' | 'accepted';

/** What a machine hands over when it enters a waiting state (its user's `onWaiting`). */
export interface WaitingHandOff {
  readonly what: WaitingState;
  /** Where the request came from: retransmissions are answered there. */
  readonly remote: Remote;
  /** The final response as sent, re-sent for each retransmitted request (`completed` only). */
  readonly bytes: Uint8Array | undefined;
  /** How long the state lasts (the timer's value). */
  readonly ms: number;
}

const STATES: readonly WaitingState[] = ['completed', 'confirmed', 'accepted'];
/** Bit of {@link WaitingEntry.flags} set when the layer answered the request itself. */
const ANSWERED_BY_LAYER = 4;

/**
 * One waiting transaction, as the layer's table keeps it: six fields, every one a reference the
 * entry needs or a small integer (no boxed number, no object of its own).
 */
export class WaitingEntry {
  constructor(
    /** The server-transaction key (§17.2.3). */
    readonly key: string,
    readonly remote: Remote,
    /**
     * `completed`: the final response as sent (re-sent for each retransmitted request). INVITE
     * states: the To tag of the final response (the 200 to a late CANCEL reuses it, §9.2).
     */
    readonly data: Uint8Array | string | undefined,
    /** Deadline on the table's clock, whole milliseconds (a small integer, stored unboxed). */
    readonly at: number,
    /** The merged-request key to forget when the entry ends (§8.2.2.2). */
    readonly merge: string | undefined,
    /** The state's index in `STATES`, plus {@link ANSWERED_BY_LAYER}. */
    readonly flags: number,
  ) {}

  get what(): WaitingState {
    return STATES[this.flags & 3] as WaitingState;
  }

  /** The response bytes to resend (`completed` only). */
  get bytes(): Uint8Array | undefined {
    return typeof this.data === 'string' ? undefined : this.data;
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
  /** The merged-request key to forget when the entry ends (§8.2.2.2). */
  readonly merge: string | undefined;
  /** The layer answered the request itself (§9.2): the user's later responses are absorbed. */
  readonly answeredByLayer: boolean;
  /** The To tag of the final response (the 200 to a late CANCEL reuses it, §9.2). */
  readonly toTag: string | undefined;
}

interface Queue {
  readonly ms: number;
  readonly entries: Map<string, WaitingEntry>;
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
  /** One queue per duration (two or three in practice: 64·T1, T4). */
  readonly #queues: Queue[] = [];
  readonly #clock: Clock;
  readonly #onExpired: (entry: WaitingEntry) => void;
  #size = 0;

  constructor(options: WaitingTableOptions) {
    this.#clock = options.clock;
    this.#onExpired = options.onExpired;
  }

  /** Waiting transactions. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the entry of `key`, ending `handOff.ms` from now. The key must not be waiting already
   * (the layer hands over a live transaction, and a key is live or waiting, never both).
   */
  add(key: string, handOff: WaitingHandOff, layer: WaitingLayerData): WaitingEntry {
    const ms = handOff.ms > 0 ? handOff.ms : 0;
    const data = handOff.what === 'completed' ? handOff.bytes : layer.toTag;
    const flags = STATES.indexOf(handOff.what) | (layer.answeredByLayer ? ANSWERED_BY_LAYER : 0);
    const entry = new WaitingEntry(key, handOff.remote, data, Math.ceil(this.#clock.now()) + ms, layer.merge, flags);
    const queue = this.#queue(ms);
    queue.entries.set(key, entry);
    this.#size++;
    queue.timer ??= this.#clock.set(ms, queue.fire);
    return entry;
  }

  get(key: string): WaitingEntry | undefined {
    for (const q of this.#queues) {
      const e = q.entries.get(key);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** Removes the entry of `key` without calling `onExpired`; true if there was one. */
  delete(key: string): boolean {
    for (const q of this.#queues) {
      if (q.entries.delete(key)) {
        this.#size--;
        if (q.entries.size === 0) this.#disarm(q);
        return true;
      }
    }
    return false;
  }

  /** Removes every entry and timer, calling nothing (layer shutdown). */
  clear(): void {
    for (const q of this.#queues) {
      q.entries.clear();
      this.#disarm(q);
    }
    this.#size = 0;
  }

  #queue(ms: number): Queue {
    for (const q of this.#queues) if (q.ms === ms) return q;
    const created: Queue = {
      ms,
      entries: new Map<string, WaitingEntry>(),
      timer: undefined,
      fire: () => {
        this.#expire(created);
      },
    };
    this.#queues.push(created);
    return created;
  }

  #disarm(q: Queue): void {
    if (q.timer !== undefined) this.#clock.clear(q.timer);
    q.timer = undefined;
  }

  /** The queue's timer fired: end every entry that is due (the oldest first), re-arm for the next. */
  #expire(q: Queue): void {
    q.timer = undefined;
    const now = this.#clock.now();
    for (const entry of q.entries.values()) {
      if (entry.at > now) {
        q.timer = this.#clock.set(entry.at - now, q.fire);
        return;
      }
      q.entries.delete(entry.key);
      this.#size--;
      this.#onExpired(entry);
    }
  }
}
