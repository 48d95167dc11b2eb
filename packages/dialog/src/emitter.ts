/**
 * A small typed event emitter for neutral code (browsers and Node): `on`, `once`, `off`, `emit`.
 * A listener that throws is reported to `onError` and never breaks the emitter's caller.
 */

/** Event name → listener arguments. */
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;
// Stored untyped: the map is keyed by event, and `on`/`emit` keep each key's type.
type AnyListener = (...args: unknown[]) => void;

/** Typed events, Node style (`session.on('bye', fn)`). */
export class Emitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, AnyListener[]>();
  /** Called with a listener's exception (default: ignored). */
  protected onListenerError: (error: unknown, event: string) => void = () => undefined;

  /** Adds a listener. */
  on<K extends keyof E & string>(event: K, fn: Listener<E[K]>): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(fn as unknown as AnyListener);
    this.#listeners.set(event, list);
    return this;
  }

  /** Adds a listener that runs once. */
  once<K extends keyof E & string>(event: K, fn: Listener<E[K]>): this {
    const wrapper = (...args: E[K]): void => {
      this.off(event, wrapper);
      fn(...args);
    };
    return this.on(event, wrapper);
  }

  /** Removes a listener. */
  off<K extends keyof E & string>(event: K, fn: Listener<E[K]>): this {
    const list = this.#listeners.get(event);
    if (list !== undefined) this.#listeners.set(event, list.filter((l) => l !== (fn as unknown as AnyListener)));
    return this;
  }

  /** True while `fn` is a listener of `event`. */
  protected has<K extends keyof E & string>(event: K, fn: Listener<E[K]>): boolean {
    return this.#listeners.get(event)?.includes(fn as unknown as AnyListener) ?? false;
  }

  /** Listeners of `event`. */
  listenerCount(event: keyof E & string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event`; true when there was one. */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const fn of [...list]) {
      try {
        fn(...args);
      } catch (e) {
        this.onListenerError(e, event);
      }
    }
    return true;
  }
}
