/**
 * The one module-level stack the classic API demands (`sip.start`, `proxy.start`), as a thin
 * registry over an instance. It lives on `globalThis` under a registered symbol, so that the ESM
 * and the CJS builds of this package (which a process may load both of) drive the same stack,
 * and `@sipts/sip/proxy` drives the stack that `sip.send` uses.
 */
import type { ClassicInstance } from './instance.js';

interface Registry {
  instance: ClassicInstance | undefined;
  /** Module copies that mirror the instance in their exports (`send`, `stop`, …). */
  readonly binders: Set<(instance: ClassicInstance | undefined) => void>;
}

const KEY = Symbol.for('@sipts/sip/singleton');

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[KEY];
  if (r === undefined) {
    r = { instance: undefined, binders: new Set() };
    g[KEY] = r;
  }
  return r;
}

/**
 * Registers a module copy's binder and applies the current instance to it.
 * @example onSingleton((i) => { send = i?.send ?? notStarted })
 */
export function onSingleton(bind: (instance: ClassicInstance | undefined) => void): void {
  const r = registry();
  r.binders.add(bind);
  bind(r.instance);
}

/** The current module-level instance, if started. */
export function currentSingleton(): ClassicInstance | undefined {
  return registry().instance;
}

/**
 * Replaces the module-level instance: the previous one is stopped first (its sockets closed) and
 * `make` gets the promise of that, to bind only once the ports are free.
 * @example replaceSingleton((after) => createInstance(options, onRequest, { after }))
 */
export function replaceSingleton(make: (after: Promise<void>) => ClassicInstance): ClassicInstance {
  const r = registry();
  const previous = r.instance;
  const after = previous === undefined ? Promise.resolve() : previous.destroy();
  const instance = make(after);
  r.instance = instance;
  for (const bind of r.binders) bind(instance);
  return instance;
}
