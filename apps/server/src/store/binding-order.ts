import type { Binding } from './types.js';

/**
 * Whether a binding is still registered at `now`: a binding whose `expiresAt` is `now` or earlier
 * has expired (RFC 3261 §10.3 step 8: the expiration interval has elapsed).
 */
export function isLive(binding: Pick<Binding, 'expiresAt'>, now: number): boolean {
  return binding.expiresAt > now;
}

/**
 * The order every store returns bindings in: highest q first (RFC 3261 §16.6 forks by q), then
 * by key in UTF-16 code-unit order, so that equal q-values still give one deterministic order
 * whichever store answers.
 */
export function compareBindings(a: Binding, b: Binding): number {
  if (a.q !== b.q) return b.q - a.q;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The unexpired bindings of a list at `now`, in {@link compareBindings} order (a new array).
 */
export function liveSorted(bindings: Iterable<Binding>, now: number): Binding[] {
  const out: Binding[] = [];
  for (const b of bindings) if (isLive(b, now)) out.push(b);
  return out.sort(compareBindings);
}

/**
 * Checks that every binding of an `update` belongs to the AOR it is filed under.
 * @throws Error naming the AOR when a binding's `aor` differs (a caller bug, not network input)
 */
export function assertSameAor(aor: string, put: readonly Binding[]): void {
  for (const b of put) {
    if (b.aor !== aor) {
      throw new Error(`location store: binding for ${JSON.stringify(b.aor)} filed under ${JSON.stringify(aor)}`);
    }
  }
}
