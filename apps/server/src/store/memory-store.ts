import { assertSameAor, isLive, liveSorted } from './binding-order.js';
import type { Binding, LocationStore } from './types.js';

/**
 * A location store in process memory: the reference semantics of {@link LocationStore}, for unit
 * tests and single-process experiments. Bindings are copied in and out, so callers can never
 * change what is stored by mutating a result. Nothing survives the process.
 *
 * Semantics shared by every store (the contract tests check them against this one):
 * - a binding is live while `expiresAt > now`; `lookup`, `update` and `count` see live ones only;
 * - results are ordered by q descending, then key (code-unit order);
 * - `update` removes the `remove` keys, then upserts each `put` by (aor, key); a `put` whose
 *   `expiresAt <= now` deletes that key instead of storing a dead binding;
 * - `removeFlow` deletes every binding (live or not yet purged) whose `owner` and `flow.id` match;
 * - after `close()` every call rejects.
 *
 * @example
 * const store = createMemoryStore();
 * await store.update('sip:alice@localhost', { put: [binding], remove: [] }, Date.now());
 * @see RFC 3261 §10.3 (processing REGISTER requests)
 */
export function createMemoryStore(): LocationStore {
  const aors = new Map<string, Map<string, Binding>>();
  let closed = false;

  /** Runs a synchronous step as a promise: a thrown error becomes a rejection. */
  const run = <T>(step: () => T): Promise<T> => {
    try {
      if (closed) throw new Error('location store: closed');
      return Promise.resolve(step());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  /** Deletes the bindings that match; returns how many. */
  const deleteWhere = (match: (b: Binding) => boolean): number => {
    let removed = 0;
    for (const [aor, bindings] of aors) {
      for (const [key, b] of bindings) {
        if (match(b)) {
          bindings.delete(key);
          removed++;
        }
      }
      if (bindings.size === 0) aors.delete(aor);
    }
    return removed;
  };

  return {
    lookup: (aor, now) =>
      run(() => {
        const bindings = aors.get(aor);
        return bindings ? liveSorted(bindings.values(), now).map(copy) : [];
      }),

    update: (aor, change, now) =>
      run(() => {
        assertSameAor(aor, change.put);
        const bindings = aors.get(aor) ?? new Map<string, Binding>();
        for (const key of change.remove) bindings.delete(key);
        for (const b of change.put) {
          if (isLive(b, now)) bindings.set(b.key, copy(b));
          else bindings.delete(b.key);
        }
        if (bindings.size > 0) aors.set(aor, bindings);
        else aors.delete(aor);
        return liveSorted(bindings.values(), now).map(copy);
      }),

    removeAll: (aor) =>
      run(() => {
        aors.delete(aor);
      }),

    removeFlow: (owner, flowId) => run(() => deleteWhere((b) => b.owner === owner && b.flow?.id === flowId)),

    purgeExpired: (now) => run(() => deleteWhere((b) => !isLive(b, now))),

    count: (now) =>
      run(() => {
        let live = 0;
        for (const bindings of aors.values()) for (const b of bindings.values()) if (isLive(b, now)) live++;
        return live;
      }),

    close() {
      closed = true;
      aors.clear();
      return Promise.resolve();
    },
  };
}

function copy(b: Binding): Binding {
  return structuredClone(b);
}
