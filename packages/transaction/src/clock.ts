/**
 * Time for the transaction layer, injected per stack instance (never module globals), so tests
 * run on a fake clock and a stack can use whichever timer structure is fastest.
 */

/** A scheduled callback; cancel it with {@link Clock.clear}. */
export interface TimerHandle {
  /** Opaque to callers. */
  readonly id: number;
}

/** What {@link Clock.setCall} calls: one method for every timer of an object, told which by `slot`. */
export interface TimerTarget {
  onClock(slot: number): void;
}

/** Time source and one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  set(ms: number, fn: () => void): TimerHandle;
  /**
   * Optional: calls `target.onClock(slot)` once, `ms` from now, as {@link Clock.set} would call a
   * function (same order, same cancellation). An object with several timers then needs no closure
   * per timer; the state machines use it when the clock has it (the default and fake clocks do).
   */
  setCall?(ms: number, target: TimerTarget, slot: number): TimerHandle;
  /** Cancels a timer; cancelling a fired or cancelled timer does nothing. */
  clear(timer: TimerHandle): void;
  /** Timers scheduled and not yet fired or cleared (for leak checks: back to 0 after every test). */
  readonly pending: number;
}

/**
 * `target.onClock(slot)` once, `ms` from now, on any clock: through {@link Clock.setCall} when the
 * clock has it (no closure), else through {@link Clock.set} with a callback made for this timer.
 * @example this.timer = setCallOn(clock, 500, this, 0)
 */
export function setCallOn(clock: Clock, ms: number, target: TimerTarget, slot: number): TimerHandle {
  if (clock.setCall !== undefined) return clock.setCall(ms, target, slot);
  return clock.set(ms, () => {
    target.onClock(slot);
  });
}

/** RFC 3261 §17.1.1.1 and Table 4: the base timer values, per stack instance. */
export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum time a message stays in the network, default 5 s. */
  T4: number;
}

/** The RFC defaults: T1 500 ms, T2 4 s, T4 5 s. */
export const DEFAULT_TIMERS: TimerValues = { T1: 500, T2: 4000, T4: 5000 };
