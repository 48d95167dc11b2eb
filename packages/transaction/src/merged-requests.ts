/**
 * Merged-request detection (RFC 3261 §8.2.2.2): a request without a To tag whose From tag,
 * Call-ID and CSeq equal those of a live server transaction, but which does not match that
 * transaction (it came by another path, e.g. forked by a proxy and looped back), is answered 482.
 *
 * The table keeps two 30-bit hashes of each merge key, not the key: one small integer as the
 * table's key and one as its value (no string per transaction, no object: an {@link IntPairs},
 * since a waiting transaction is still ongoing and a busy server keeps ~30 s of them), and a transaction
 * remembers only the first to forget it. Two different keys are taken for one when both hashes
 * agree (about one pair in 2^60); when only the first agrees, the later transaction is not
 * recorded, so a copy of it is not detected (about 10^-4 per transaction with 100,000 live ones):
 * the cost of a miss is the behaviour without the rule, never a wrong 482 in practice.
 * @see RFC 3261 §8.2.2.2
 */
import { IntPairs } from './key-index.js';

/**
 * Both hashes of a merge key in one pass: FNV-1a over the UTF-16 code units, 32 bits, reduced to
 * 30 (always a small integer), with two bases and primes (independent of each other). Written to
 * `out` (no object per call).
 */
function hashInto(m: string, out: Hashed): void {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019d);
  }
  out.key = m;
  const first = (a >>> 2) & 0x3fffffff;
  out.first = first === 0 ? 1 : first;
  out.second = (b >>> 2) & 0x3fffffff;
}

/** The last key hashed: the layer asks {@link MergedRequests.isMerged} and then `remember` for one request. */
interface Hashed {
  key: string | undefined;
  /** The table key. */
  first: number;
  /** The value checked against it. */
  second: number;
}

/**
 * The From tag / Call-ID / CSeq of the live server transactions (their `mergeKey`), hashed.
 * @example if (merged.isMerged(mergeKey(rq))) answer482()
 * @see RFC 3261 §8.2.2.2
 */
export class MergedRequests {
  readonly #byMerge = new IntPairs();
  readonly #last: Hashed = { key: undefined, first: 0, second: 0 };

  /** Live entries (for tests). */
  get size(): number {
    return this.#byMerge.size;
  }

  /**
   * True when a request with merge key `m` merges with a live transaction. The layer asks only
   * for a request that matched no transaction, so a recorded key is always another transaction's.
   */
  isMerged(m: string | undefined): boolean {
    if (m === undefined) return false;
    const hashed = this.#hashed(m);
    return this.#byMerge.get(hashed.first) === hashed.second;
  }

  /**
   * Records the transaction created by a request with merge key `m`; returns what to
   * {@link forget} when the transaction ends (undefined when there is nothing to record).
   */
  remember(m: string | undefined): number | undefined {
    if (m === undefined) return undefined;
    const hashed = this.#hashed(m);
    const h = hashed.first;
    if (this.#byMerge.get(h) !== undefined) return undefined;
    this.#byMerge.set(h, hashed.second);
    return h;
  }

  /** The hashes of `m`, computed once for the two questions the layer asks of one request. */
  #hashed(m: string): Hashed {
    const last = this.#last;
    if (last.key !== m) hashInto(m, last);
    return last;
  }

  /** Forgets an entry recorded by {@link remember}. */
  forget(merge: number): void {
    this.#byMerge.delete(merge);
  }

  /** Forgets everything (layer shutdown). */
  clear(): void {
    this.#byMerge.clear();
    this.#last.key = undefined;
  }
}
