/**
 * Merged-request detection (RFC 3261 §8.2.2.2): a request without a To tag whose From tag,
 * Call-ID and CSeq equal those of a live server transaction, but which does not match that
 * transaction (it came by another path, e.g. forked by a proxy and looped back), is answered 482.
 * @see RFC 3261 §8.2.2.2
 */
/**
 * The From tag / Call-ID / CSeq of the live server transactions (their `mergeKey`), each
 * with its transaction key.
 * @example if (merged.isMerged(mergeKey(rq), key)) answer482()
 * @see RFC 3261 §8.2.2.2
 */
export class MergedRequests {
  readonly #byMerge = new Map<string, string>();

  /** Live entries (for tests). */
  get size(): number {
    return this.#byMerge.size;
  }

  /**
   * True when a request with merge key `m` and server-transaction key `key` merges with a live
   * transaction that has another key.
   */
  isMerged(m: string | undefined, key: string): boolean {
    if (m === undefined) return false;
    const existing = this.#byMerge.get(m);
    return existing !== undefined && existing !== key;
  }

  /**
   * Records the transaction `key` created by a request with merge key `m`; returns the merge key
   * to {@link forget} when the transaction ends (undefined when there is nothing to record).
   */
  remember(m: string | undefined, key: string): string | undefined {
    if (m === undefined || this.#byMerge.has(m)) return undefined;
    this.#byMerge.set(m, key);
    return m;
  }

  /** Forgets an entry recorded by {@link remember}. */
  forget(merge: string): void {
    this.#byMerge.delete(merge);
  }

  /** Forgets everything (layer shutdown). */
  clear(): void {
    this.#byMerge.clear();
  }
}
