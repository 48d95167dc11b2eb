/**
 * A fake {@link Clock} for tests (ours and users'): time moves only when the test says so, and
 * timers fire in exact deadline order, so retransmission schedules can be asserted to the
 * millisecond against RFC 3261 §17.
 */
import { SipError } from '@sipts/message';
import type { Clock, TimerHandle, TimerTarget } from './clock.js';
import { TimerEntry, TimerQueue } from './timer-heap.js';

/** A bound on the timers one `advance` fires: a callback that re-arms itself at 0 ms would loop forever. */
const MAX_FIRES = 1_000_000;

/** A {@link Clock} whose time is moved by hand. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer due on the way in deadline order (ties in
   * scheduling order), including timers scheduled by the callbacks it fires. `now()` inside a
   * callback is that timer's deadline; afterwards it is the start time plus `ms`.
   * @throws SipError `limit-exceeded` after 1,000,000 fires in one call (a timer loop).
   */
  advance(ms: number): void;
  /** Moves time to the next timer's deadline and fires it (and any tied with it); false if none. */
  runNext(): boolean;
  /**
   * Fires every timer, moving time to each deadline, until none is left.
   * @throws SipError `limit-exceeded` after `maxTimers` (default 100,000) fires: a timer loop.
   */
  runAll(maxTimers?: number): void;
}

class Fake implements FakeClock {
  readonly #queue = new TimerQueue();
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  get pending(): number {
    return this.#queue.pending;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number, fn: () => void): TimerHandle {
    return this.#queue.push(this.#deadline(ms), fn, this);
  }

  setCall(ms: number, target: TimerTarget, slot: number): TimerHandle {
    return this.#queue.pushCall(this.#deadline(ms), target, slot, this);
  }

  #deadline(ms: number): number {
    return this.#now + (ms > 0 ? ms : 0);
  }

  clear(handle: TimerHandle): void {
    if (handle instanceof TimerEntry && handle.owner === this) this.#queue.cancel(handle);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new SipError('invalid-argument', `cannot advance a fake clock by ${String(ms)} ms`);
    const target = this.#now + ms;
    for (let fired = 0; ; fired++) {
      const top = this.#queue.peek();
      if (top === undefined || top.at > target) break;
      if (fired >= MAX_FIRES) throw new SipError('limit-exceeded', `fake clock: more than ${String(MAX_FIRES)} timers fired in one advance`);
      this.#fireTop(top.at);
    }
    this.#now = target;
  }

  runNext(): boolean {
    const top = this.#queue.peek();
    if (top === undefined) return false;
    this.advance(top.at - this.#now);
    return true;
  }

  runAll(maxTimers = 100_000): void {
    for (let fired = 0; ; fired++) {
      const top = this.#queue.peek();
      if (top === undefined) return;
      if (fired >= maxTimers) throw new SipError('limit-exceeded', `fake clock: more than ${String(maxTimers)} timers fired in runAll`);
      this.#fireTop(top.at);
    }
  }

  #fireTop(at: number): void {
    if (at > this.#now) this.#now = at;
    this.#queue.fireTop();
  }
}

/**
 * Creates a fake clock starting at `start` ms.
 * @example
 * const clock = createFakeClock();
 * clock.set(500, () => sent.push(clock.now()));
 * clock.advance(1000); // fires the timer with now() === 500
 * @see RFC 3261 §17 (the schedules it lets tests assert)
 */
export function createFakeClock(start = 0): FakeClock {
  return new Fake(start);
}
