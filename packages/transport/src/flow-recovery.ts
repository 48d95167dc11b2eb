/**
 * How long a user agent waits before it tries to re-create a failed flow (re-registers), RFC 5626
 * §4.5: an exponential backoff with jitter, so that phones behind one NAT or proxy that failed do
 * not all come back at once.
 * @see RFC 5626 §4.5
 */

/** Options of {@link flowRecoveryDelayMs}. */
export interface FlowRecoveryOptions {
  /** True when every flow of the registration failed (base 30 s), false when some still work (base 90 s). */
  allFlowsFailed: boolean;
  /** Overrides the base time, in seconds (the RFC's 30 or 90). */
  baseSeconds?: number;
  /** The cap, in seconds. Default 1800 (the RFC's max-time). */
  maxSeconds?: number;
  /** A number in [0, 1); default from `crypto.getRandomValues`. */
  random?: () => number;
}

/**
 * The wait before the next attempt after `consecutiveFailures` failed attempts (0 after the first
 * failure of a flow that was working): wait-time = min(max-time, base-time · 2^failures), and a
 * random 50–100 % of it (§4.5).
 * @example flowRecoveryDelayMs(0, { allFlowsFailed: true }) // 15,000–30,000
 * @see RFC 5626 §4.5
 */
export function flowRecoveryDelayMs(consecutiveFailures: number, options: FlowRecoveryOptions): number {
  const base = options.baseSeconds ?? (options.allFlowsFailed ? 30 : 90);
  const max = options.maxSeconds ?? 1800;
  const n = Math.max(0, Math.min(Math.floor(consecutiveFailures), 30));
  const wait = Math.min(max, base * 2 ** n);
  let r: number;
  if (options.random !== undefined) {
    r = options.random();
  } else {
    const b = new Uint32Array(1);
    crypto.getRandomValues(b);
    r = (b[0] ?? 0) / 2 ** 32;
  }
  return Math.round(wait * 1000 * (0.5 + 0.5 * r));
}
