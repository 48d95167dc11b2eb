/**
 * A hash index of items by their string key, for the tables that hold hundreds of thousands of
 * entries: the layer's waiting transactions (every UDP request is remembered for 64·T1, so a busy
 * server keeps ~30 s of its traffic). A `Map` of that size costs a few cache misses per lookup (a
 * bucket, an entry, the stored key string) and re-hashes itself as deletions leave holes; a
 * lookup that misses (every new request) paid ~0.8 µs, an insert and a removal ~1.5 µs (bench/BUDGET.md,
 * sixth pass).
 *
 * Here the slots are two parallel arrays: an `Int32Array` of 30-bit key hashes and an array of the
 * items. Open addressing with linear probing at a load of at most one half: a miss compares
 * hashes in adjacent slots of one typed array and never touches an item or a key string; a hit
 * reads the item once to compare the key. Removal shifts the following slots back (no
 * tombstones), so probe lengths do not grow with churn. Each item carries its hash, so removing it
 * (at expiry) neither reads nor re-hashes its key.
 *
 * The hash is FNV-1a with a per-process random basis and a final mix, so a peer cannot choose keys
 * that pile into one run of slots without knowing the basis. Every index of a process hashes
 * alike, so one hash serves lookups in several.
 *
 * {@link IntPairs} is the same table for a small integer and a value (the merged-request check's
 * two hashes, RFC 3261 §8.2.2.2), with both in typed arrays: nothing for the collector to trace.
 *
 * {@link KeyMap} is the same table for a string key and any value, and {@link SlotSet} a set of
 * objects that remember where they are in it. They stand in for `Map` and `Set` wherever entries come
 * and go with the traffic (a table per transaction, per proxied request). V8 keeps a `Map`'s
 * entries in a table that it re-makes as deletions leave holes, and the old table keeps a link to
 * the new one (for iterators still running) along with the entries it held. Once the first of them
 * is in the old generation, every table made since stays reachable for young collections, with
 * every value they ever held: a proxy's scavenges copied nearly all the transactions of the last
 * cycle, finished or not (bench/BUDGET.md, seventh pass). Arrays and typed arrays keep no such link.
 */

/** What an index holds: anything with its key and the hash the index gave that key. */
export interface Keyed {
  readonly key: string;
  /** {@link keyHash} of `key` (a small integer, never 0). */
  readonly hash: number;
}

/** Slots of a new or emptied table. */
const MIN_SLOTS = 64;

function mix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x;
}

/** The basis of every key hash of this process: random, so a peer cannot aim keys at one run of slots. */
const BASIS = (Math.random() * 0x7fffffff) | 0;

/**
 * The hash an item with key `key` must carry in a {@link KeyIndex}: 30 bits, never 0 (0 marks an
 * empty slot). One function for every index of the process, so a key hashed once can be looked
 * up in several (the layer's live and waiting server transactions).
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5 ^ BASIS;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  const out = (mix(h) >>> 2) & 0x3fffffff;
  return out === 0 ? 1 : out;
}

/**
 * The open-addressing part both tables share: 30-bit hashes (0 marks an empty slot) in an
 * `Int32Array`, linear probing, a load of at most one half, removal by backward shift, doubling
 * and halving. What a slot holds besides its hash is the subclass's, in storage of its own.
 */
abstract class HashSlots {
  protected hashes = new Int32Array(MIN_SLOTS);
  protected mask = MIN_SLOTS - 1;
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Slot `to` takes what slot `from` holds (besides the hash). */
  protected abstract moveSlot(from: number, to: number): void;
  /** Slot `i` no longer holds anything. */
  protected abstract emptySlot(i: number): void;
  /** New storage of `slots` slots; returns the old one, for {@link copyOld}. */
  protected abstract renew(slots: number): unknown;
  /** Slot `to` of the new storage takes slot `from` of `old`. */
  protected abstract copyOld(old: unknown, from: number, to: number): void;

  /** A free slot for `hash`, counted as used; the caller fills it. */
  protected claim(hash: number): number {
    if ((this.#size + 1) * 2 > this.mask + 1) this.#resize((this.mask + 1) * 2);
    this.#size++;
    return this.#free(hash);
  }

  /** Empties slot `i`, moving the rest of its run back so no probe stops short (no tombstones). */
  protected release(i: number): void {
    const hashes = this.hashes;
    const mask = this.mask;
    let gap = i;
    for (let j = (gap + 1) & mask; ; j = (j + 1) & mask) {
      const h = hashes[j] as number;
      if (h === 0) break;
      // The entry at j may fill the gap when its home slot is not between the gap and j.
      if (((j - (h & mask)) & mask) >= ((j - gap) & mask)) {
        hashes[gap] = h;
        this.moveSlot(j, gap);
        gap = j;
      }
    }
    hashes[gap] = 0;
    this.emptySlot(gap);
    this.#size--;
    const slots = mask + 1;
    if (slots > MIN_SLOTS && this.#size * 8 < slots) this.#resize(slots / 2);
  }

  /** Forgets every entry; the slots shrink back to their initial number. */
  clear(): void {
    this.hashes = new Int32Array(MIN_SLOTS);
    this.mask = MIN_SLOTS - 1;
    this.renew(MIN_SLOTS);
    this.#size = 0;
  }

  #free(hash: number): number {
    const hashes = this.hashes;
    const mask = this.mask;
    let i = hash & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    hashes[i] = hash;
    return i;
  }

  #resize(slots: number): void {
    const hashes = this.hashes;
    const old = this.renew(slots);
    this.hashes = new Int32Array(slots);
    this.mask = slots - 1;
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i] as number;
      if (h !== 0) this.copyOld(old, i, this.#free(h));
    }
  }
}

/**
 * Items by key, with `get`, `add` and `remove` in O(1) expected time.
 * @example const i = new KeyIndex<E>(); i.add(e); i.get(e.key) === e; i.remove(e)
 */
export class KeyIndex<T extends Keyed> extends HashSlots {
  #items: (T | undefined)[] = new Array<T | undefined>(MIN_SLOTS).fill(undefined);

  /** The item with key `key` (`hash` is {@link keyHash} of it, when the caller has it already). */
  get(key: string, hash: number = keyHash(key)): T | undefined {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return undefined;
      if (h === hash) {
        const item = this.#items[i] as T;
        if (item.key === key) return item;
      }
    }
  }

  /** Adds `item`; its key must not be in the index already (the callers check first). */
  add(item: T): void {
    const i = this.claim(item.hash);
    this.#items[i] = item;
  }

  /** Removes `item` (found by identity, its key is not read); false when it is not held. */
  remove(item: T): boolean {
    const hashes = this.hashes;
    const items = this.#items;
    const mask = this.mask;
    const hash = item.hash;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return false;
      if (h === hash && items[i] === item) {
        this.release(i);
        return true;
      }
    }
  }

  /** The items held, in no particular order (a copy: the index may change while it is used). */
  values(): T[] {
    const out: T[] = [];
    for (const item of this.#items) if (item !== undefined) out.push(item);
    return out;
  }

  protected moveSlot(from: number, to: number): void {
    this.#items[to] = this.#items[from];
  }

  protected emptySlot(i: number): void {
    this.#items[i] = undefined;
  }

  protected renew(slots: number): unknown {
    const old = this.#items;
    this.#items = new Array<T | undefined>(slots).fill(undefined);
    return old;
  }

  protected copyOld(old: unknown, from: number, to: number): void {
    this.#items[to] = (old as (T | undefined)[])[from];
  }
}

/** Hash slots whose every slot holds one 32-bit integer besides its hash, in a typed array too. */
abstract class IntSlots extends HashSlots {
  protected values = new Int32Array(MIN_SLOTS);

  protected moveSlot(from: number, to: number): void {
    this.values[to] = this.values[from] as number;
  }

  protected emptySlot(i: number): void {
    this.values[i] = 0;
  }

  protected renew(slots: number): unknown {
    const old = this.values;
    this.values = new Int32Array(slots);
    return old;
  }

  protected copyOld(old: unknown, from: number, to: number): void {
    this.values[to] = (old as Int32Array)[from] as number;
  }
}

/**
 * Small integers (30 bits, never 0) each with a 32-bit value, in typed arrays only.
 * @example pairs.set(h, v); pairs.get(h) === v; pairs.delete(h)
 */
export class IntPairs extends IntSlots {
  /** The value of `key`, undefined when absent. */
  get(key: number): number | undefined {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return undefined;
      if (h === key) return this.values[i];
    }
  }

  /** Adds `key` with `value`; `key` must not be held already (check with {@link get}). */
  set(key: number, value: number): void {
    const i = this.claim(key);
    this.values[i] = value;
  }

  /** Removes `key`; false when it was not held. */
  delete(key: number): boolean {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return false;
      if (h === key) {
        this.release(i);
        return true;
      }
    }
  }
}

/**
 * Rows of a table (small integers) by the hash of their key, in typed arrays only: several rows
 * may share a hash (their keys differ), so a lookup walks the slots of that hash and lets the
 * caller compare keys. Nothing for the collector to trace.
 * @example for (let s = index.first(h); s !== -1; s = index.next(s, h)) if (sameKey(index.rowAt(s))) …
 */
export class RowIndex extends IntSlots {
  /** Adds `row` under `hash` (30 bits, never 0). */
  add(hash: number, row: number): void {
    const i = this.claim(hash);
    this.values[i] = row;
  }

  /** The first slot holding `hash`, or -1. */
  first(hash: number): number {
    return this.#scan(hash & this.mask, hash);
  }

  /** The next slot after `slot` holding `hash`, or -1. */
  next(slot: number, hash: number): number {
    return this.#scan((slot + 1) & this.mask, hash);
  }

  #scan(from: number, hash: number): number {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = from; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return -1;
      if (h === hash) return i;
    }
  }

  /** The row in `slot`. */
  rowAt(slot: number): number {
    return this.values[slot] as number;
  }

  /** Removes `row`, held under `hash`; false when it is not held. */
  remove(hash: number, row: number): boolean {
    for (let s = this.first(hash); s !== -1; s = this.next(s, hash)) {
      if (this.values[s] === row) {
        this.release(s);
        return true;
      }
    }
    return false;
  }
}

/**
 * A string-keyed map for tables with churn: `get`, `set`, `delete` in O(1) expected time, the keys
 * hashed with {@link keyHash}, no object per entry, and nothing kept of a removed entry (see the
 * module comment for why a `Map` does not fit here).
 * @example const m = new KeyMap<Tx>(); m.set(key, tx); m.get(key) === tx; m.delete(key)
 */
export class KeyMap<V> extends HashSlots {
  #keys: (string | undefined)[] = new Array<string | undefined>(MIN_SLOTS).fill(undefined);
  #values: (V | undefined)[] = new Array<V | undefined>(MIN_SLOTS).fill(undefined);

  #find(key: string, hash: number): number {
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return -1;
      if (h === hash && this.#keys[i] === key) return i;
    }
  }

  /** The value of `key` (`hash`: its {@link keyHash}, when the caller has it already). */
  get(key: string, hash: number = keyHash(key)): V | undefined {
    const i = this.#find(key, hash);
    return i < 0 ? undefined : this.#values[i];
  }

  /** True when `key` is held. */
  has(key: string, hash: number = keyHash(key)): boolean {
    return this.#find(key, hash) >= 0;
  }

  /** Sets the value of `key`, adding it when absent. */
  set(key: string, value: V, hash: number = keyHash(key)): void {
    const i = this.#find(key, hash);
    if (i >= 0) {
      this.#values[i] = value;
      return;
    }
    const j = this.claim(hash);
    this.#keys[j] = key;
    this.#values[j] = value;
  }

  /** Removes `key`; false when it was not held. */
  delete(key: string, hash: number = keyHash(key)): boolean {
    const i = this.#find(key, hash);
    if (i < 0) return false;
    this.release(i);
    return true;
  }

  /** The keys held, in no particular order (a copy). */
  keys(): string[] {
    const out: string[] = [];
    for (const key of this.#keys) if (key !== undefined) out.push(key);
    return out;
  }

  /** The values held, in no particular order (a copy: the map may change while it is used). */
  values(): V[] {
    const out: V[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] !== undefined) out.push(this.#values[i] as V);
    return out;
  }

  protected moveSlot(from: number, to: number): void {
    this.#keys[to] = this.#keys[from];
    this.#values[to] = this.#values[from];
  }

  protected emptySlot(i: number): void {
    this.#keys[i] = undefined;
    this.#values[i] = undefined;
  }

  protected renew(slots: number): unknown {
    const old = [this.#keys, this.#values];
    this.#keys = new Array<string | undefined>(slots).fill(undefined);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    return old;
  }

  protected copyOld(old: unknown, from: number, to: number): void {
    const [keys, values] = old as [(string | undefined)[], (V | undefined)[]];
    this.#keys[to] = keys[from];
    this.#values[to] = values[from];
  }
}

/** What a {@link SlotSet} holds: an object with a field the set keeps its position in (-1 when out). */
export interface Slotted {
  slot: number;
}

/**
 * A set of objects for tables with churn: each member keeps its index in the set's array, so
 * `add` and `delete` are O(1) (the last member fills the hole) and nothing is kept of a member
 * that left (see the module comment for why a `Set` does not fit here). An object is in one
 * SlotSet at a time.
 * @example const s = new SlotSet<Out>(); s.add(out); s.delete(out); s.values()
 */
export class SlotSet<T extends Slotted> {
  #items: T[] = [];

  /** Members held. */
  get size(): number {
    return this.#items.length;
  }

  /** Adds `item` (a member already is left where it is). */
  add(item: T): void {
    if (this.has(item)) return;
    item.slot = this.#items.length;
    this.#items.push(item);
  }

  /** True when `item` is a member. */
  has(item: T): boolean {
    return item.slot >= 0 && this.#items[item.slot] === item;
  }

  /** Removes `item`; false when it was not a member. */
  delete(item: T): boolean {
    if (!this.has(item)) return false;
    const items = this.#items;
    const last = items.pop() as T;
    if (last !== item) {
      items[item.slot] = last;
      last.slot = item.slot;
    }
    item.slot = -1;
    return true;
  }

  /** The members, in no particular order (a copy: the set may change while it is used). */
  values(): T[] {
    return this.#items.slice();
  }

  /** Removes every member. */
  clear(): void {
    for (const item of this.#items) item.slot = -1;
    this.#items = [];
  }
}
