/**
 * Merged-request detection (RFC 3261 §8.2.2.2): a request without a To tag whose From tag,
 * Call-ID and CSeq equal those of a live server transaction, but which does not match that
 * transaction (it came by another path, e.g. forked by a proxy and looped back), is answered 482.
 *
 * The table keeps two 30-bit hashes of each merge key, not the key: one small integer as the
 * `Map` key and one as its value (no string per transaction, no boxed number), and a transaction
 * remembers only the first to forget it. Two different keys are taken for one when both hashes
 * agree (about one pair in 2^60); when only the first agrees, the later transaction is not
 * recorded, so a copy of it is not detected (about 10^-4 per transaction with 100,000 live ones):
 * the cost of a miss is the behaviour without the rule, never a wrong 482 in practice.
 * @see RFC 3261 §8.2.2.2
 */

/** FNV-1a over the UTF-16 code units, 32 bits, reduced to 30 (always a small integer). */
function hash(text: string, basis: number, prime: number): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), prime);
  return (h >>> 2) & 0x3fffffff;
}

/** The table key of a merge key. */
function first(m: string): number {
  return hash(m, 0x811c9dc5, 0x01000193);
}

/** The value checked against it (another basis and prime: independent of {@link first}). */
function second(m: string): number {
  return hash(m, 0x050c5d1f, 0x0100019d);
}

/**
 * The From tag / Call-ID / CSeq of the live server transactions (their `mergeKey`), hashed.
 * @example if (merged.isMerged(mergeKey(rq))) answer482()
 * @see RFC 3261 §8.2.2.2
 */
export class MergedRequests {
  readonly #byMerge = new Map<number, number>();

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
    return this.#byMerge.get(first(m)) === second(m);
  }

  /**
   * Records the transaction created by a request with merge key `m`; returns what to
   * {@link forget} when the transaction ends (undefined when there is nothing to record).
   */
  remember(m: string | undefined): number | undefined {
    if (m === undefined) return undefined;
    const h = first(m);
    if (this.#byMerge.has(h)) return undefined;
    this.#byMerge.set(h, second(m));
    return h;
  }

  /** Forgets an entry recorded by {@link remember}. */
  forget(merge: number): void {
    this.#byMerge.delete(merge);
  }

  /** Forgets everything (layer shutdown). */
  clear(): void {
    this.#byMerge.clear();
  }
}
