/**
 * Requests the transaction layer answered itself (a CANCEL's 200, the 487 of a cancelled INVITE,
 * RFC 3261 §9.2), remembered for a while after their transaction ended. Over TCP a CANCEL's
 * transaction ends at once (Timer J is 0, §17.2.2), so without this an application that answers
 * the CANCEL too, as classic applications do, would send a second 200 statelessly.
 * @see RFC 3261 §9.2, §17.2.2
 */

/** Options of {@link AnsweredByLayer}. */
export interface AnsweredByLayerOptions {
  /** How long a key is remembered after its transaction ended, ms (the layer uses 64·T1). */
  ttl: number;
  /** At most this many keys; the oldest go first (a peer can send many CANCELs). */
  max: number;
  /** The layer's clock, `now()` in ms. */
  now: () => number;
}

/**
 * Server-transaction keys of requests the layer answered, with when they are forgotten.
 * @example answered.remember(key); … if (answered.has(responseKey)) absorb()
 * @see RFC 3261 §9.2
 */
export class AnsweredByLayer {
  readonly #until = new Map<string, number>();

  constructor(readonly options: AnsweredByLayerOptions) {}

  /** Keys remembered now (for tests). */
  get size(): number {
    return this.#until.size;
  }

  /** Remembers `key` for `ttl` from now. */
  remember(key: string): void {
    const now = this.options.now();
    this.#until.delete(key);
    this.#until.set(key, now + this.options.ttl);
    // Insertion order is expiry order (one ttl for all): drop from the front.
    for (const [k, until] of this.#until) {
      if (until > now && this.#until.size <= this.options.max) break;
      this.#until.delete(k);
    }
  }

  /** True when `key` was answered by the layer and is still remembered. */
  has(key: string): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > this.options.now()) return true;
    this.#until.delete(key);
    return false;
  }

  /** Forgets everything (layer shutdown). */
  clear(): void {
    this.#until.clear();
  }
}
