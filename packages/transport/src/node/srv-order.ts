/**
 * SRV target selection: lowest priority first, weighted random order within one priority.
 * @see RFC 2782 ("Usage rules": the weight algorithm), RFC 3263 §4.4
 */

/** The fields of an SRV record that ordering needs (node:dns `SrvRecord` fits). */
export interface SrvLike {
  priority: number;
  weight: number;
}

/**
 * Orders SRV records for trying one after the other: by ascending priority, and within one
 * priority by the RFC 2782 weighted random selection (records of weight 0 first in the running
 * sum, so they get a small chance to come first; when every weight left is 0, uniformly random).
 * `random` returns a number in [0, 1); anything outside is clamped. Does not modify `records`.
 * @example
 * orderSrvRecords([{ priority: 10, weight: 3, name: 'a', port: 5060 }, { priority: 10, weight: 1, name: 'b', port: 5060 }], Math.random)
 * @see RFC 2782 "Usage rules"
 */
export function orderSrvRecords<T extends SrvLike>(records: readonly T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) {
    const group = byPriority.get(r.priority);
    if (group === undefined) byPriority.set(r.priority, [r]);
    else group.push(r);
  }
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority) ?? [];
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that
    // all those with weight 0 are placed at the beginning of the list".
    const pool = [...group.filter((r) => weightOf(r) === 0), ...group.filter((r) => weightOf(r) > 0)];
    while (pool.length > 0) {
      const index = pickIndex(pool, random);
      out.push(...pool.splice(index, 1));
    }
  }
  return out;
}

function weightOf(r: SrvLike): number {
  return Number.isFinite(r.weight) && r.weight > 0 ? r.weight : 0;
}

/** One draw of the RFC 2782 running-sum selection over `pool` (non-empty). */
function pickIndex(pool: readonly SrvLike[], random: () => number): number {
  let total = 0;
  for (const r of pool) total += weightOf(r);
  if (total === 0) return draw(random, pool.length);
  // "select a uniform random number between 0 and the sum computed (inclusive)"
  const target = draw(random, total + 1);
  let running = 0;
  for (let i = 0; i < pool.length; i++) {
    const r = pool[i];
    if (r === undefined) continue;
    running += weightOf(r);
    if (running >= target) return i;
  }
  return pool.length - 1;
}

/** An integer in [0, n) from `random()`, clamped against misbehaving sources. */
function draw(random: () => number, n: number): number {
  const x = random();
  const i = Math.floor((Number.isFinite(x) ? x : 0) * n);
  return Math.min(Math.max(i, 0), n - 1);
}
