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
 * The hash is FNV-1a with a per-index random basis and a final mix, so a peer cannot choose keys
 * that pile into one run of slots without knowing the basis.
 */

/** What an index holds: anything with its key and the hash the index gave that key. */
export interface Keyed {
  readonly key: string;
  /** {@link KeyIndex.hashOf} of `key` (a small integer, never 0). */
  readonly hash: number;
}

/** Slots of a new or emptied index. */
const MIN_SLOTS = 64;

function mix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x;
}

/**
 * Items by key, with `get`, `add` and `remove` in O(1) expected time.
 * @example const i = new KeyIndex<E>(); i.add(e); i.get(e.key) === e; i.remove(e)
 */
export class KeyIndex<T extends Keyed> {
  #hashes = new Int32Array(MIN_SLOTS);
  #items: (T | undefined)[] = new Array<T | undefined>(MIN_SLOTS).fill(undefined);
  #mask = MIN_SLOTS - 1;
  #size = 0;
  readonly #basis = (Math.random() * 0x7fffffff) | 0;

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  /** The hash an item with key `key` must carry: 30 bits, never 0 (0 marks an empty slot). */
  hashOf(key: string): number {
    let h = 0x811c9dc5 ^ this.#basis;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    const out = (mix(h) >>> 2) & 0x3fffffff;
    return out === 0 ? 1 : out;
  }

  /** The item with key `key` (`hash` is {@link hashOf} of it, when the caller has it already). */
  get(key: string, hash: number = this.hashOf(key)): T | undefined {
    const hashes = this.#hashes;
    const mask = this.#mask;
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
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#resize((this.#mask + 1) * 2);
    this.#place(item.hash, item);
    this.#size++;
  }

  /** Removes `item` (found by identity, its key is not read); false when it is not held. */
  remove(item: T): boolean {
    const hashes = this.#hashes;
    const items = this.#items;
    const mask = this.#mask;
    const hash = item.hash;
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const h = hashes[i] as number;
      if (h === 0) return false;
      if (h === hash && items[i] === item) break;
    }
    // Backward shift: move each later slot of the run into the gap when its home allows it.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const h = hashes[j] as number;
      if (h === 0) break;
      if (((j - (h & mask)) & mask) >= ((j - i) & mask)) {
        hashes[i] = h;
        items[i] = items[j];
        i = j;
      }
    }
    hashes[i] = 0;
    items[i] = undefined;
    this.#size--;
    const slots = mask + 1;
    if (slots > MIN_SLOTS && this.#size * 8 < slots) this.#resize(slots / 2);
    return true;
  }

  /** Removes every item; the slots shrink back to their initial size. */
  clear(): void {
    this.#hashes = new Int32Array(MIN_SLOTS);
    this.#items = new Array<T | undefined>(MIN_SLOTS).fill(undefined);
    this.#mask = MIN_SLOTS - 1;
    this.#size = 0;
  }

  #place(hash: number, item: T): void {
    const hashes = this.#hashes;
    const mask = this.#mask;
    let i = hash & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    hashes[i] = hash;
    this.#items[i] = item;
  }

  #resize(slots: number): void {
    const hashes = this.#hashes;
    const items = this.#items;
    this.#hashes = new Int32Array(slots);
    this.#items = new Array<T | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i] as number;
      if (h !== 0) this.#place(h, items[i] as T);
    }
  }
}
