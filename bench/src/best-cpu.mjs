/**
 * The in-process timing loop of the parser A/B scripts: each variant in turn, `rounds` times,
 * `warm` calls then `n` timed ones, and the best round's CPU time of this process per call (the
 * best, and CPU time, because other processes on a shared machine slow some rounds).
 * @param {Record<string, () => number>} variants functions whose results are summed (so the work is not optimized away)
 * @returns {Record<string, number>} ns per call, best round, by variant name
 */
export function bestCpuNs(variants, { rounds, warm = 3000, n = 30_000 }) {
  const best = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      let sum = 0;
      for (let i = 0; i < warm; i++) sum += fn();
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) sum += fn();
      const c = process.cpuUsage(c0);
      best[name] = Math.min(best[name] ?? Infinity, ((c.user + c.system) * 1000) / n);
      if (sum === -1) console.log(sum);
    }
  }
  return best;
}
