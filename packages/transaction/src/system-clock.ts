/**
 * A {@link Clock} with one host `setTimeout` per timer: the simplest clock, and the one place
 * (with {@link createTimerHeapClock}) where the transaction layer touches the host's timers.
 * `setTimeout` and `performance.now()` are web-standard globals, so this stays neutral.
 * @see RFC 3261 §17 (every transaction timer runs on a Clock)
 */
import type { Clock, TimerHandle } from './clock.js';

type HostHandle = ReturnType<typeof setTimeout>;

/** One timer: the handle callers hold. */
class SystemTimer implements TimerHandle {
  host: HostHandle | undefined;
  constructor(
    readonly id: number,
    readonly owner: SystemClock,
  ) {}
}

class SystemClock implements Clock {
  #pending = 0;
  #nextId = 1;

  get pending(): number {
    return this.#pending;
  }

  now(): number {
    return performance.now();
  }

  set(ms: number, fn: () => void): TimerHandle {
    const timer = new SystemTimer(this.#nextId++, this);
    this.#pending++;
    timer.host = setTimeout(() => {
      if (timer.host === undefined) return;
      timer.host = undefined;
      this.#pending--;
      fn();
    }, ms > 0 ? ms : 0);
    return timer;
  }

  clear(handle: TimerHandle): void {
    if (!(handle instanceof SystemTimer) || handle.owner !== this || handle.host === undefined) return;
    clearTimeout(handle.host);
    handle.host = undefined;
    this.#pending--;
  }
}

/**
 * A clock on the host's `setTimeout`/`clearTimeout`: one host timer per scheduled timer.
 * `now()` is `performance.now()` (monotonic). `pending` counts timers neither fired nor cleared.
 * @example
 * const clock = createSystemClock();
 * const t = clock.set(500, () => retransmit());
 * clock.clear(t);
 * @see RFC 3261 §17.1.1.2 (Timers A and B), Table 4 (all timers)
 */
export function createSystemClock(): Clock {
  return new SystemClock();
}
