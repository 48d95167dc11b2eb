/**
 * The facade report's rate ratios: each round's own ratio, and a target met only when the median
 * of those agrees with the ratio of the medians (one package's slow rounds must not make it).
 */
import { describe, expect, it } from 'vitest';
import { sameRoundRatios, summarizeRuns } from './report.mjs';

function loop(round, impl, rate, pass = true) {
  return { round, workload: 'uas-options', impl, kind: 'loop', pass, completedPerSec: rate, app: { cpuUsPerUnit: 1 } };
}

const settings = { workloads: ['uas-options'], fixedRates: { 'uas-options': 5000 } };

describe('sameRoundRatios', () => {
  it('pairs the packages by round and skips a round one of them failed', () => {
    const runs = [loop(0, 'sipts', 300), loop(0, 'classic', 150), loop(1, 'classic', 100), loop(1, 'sipts', 190), loop(2, 'sipts', 400), loop(2, 'classic', 100, false)];
    expect(sameRoundRatios(runs, 'uas-options')).toEqual([2, 1.9]);
  });
});

describe('summarizeRuns', () => {
  it('does not count the target met when slow rounds of the classic package alone lift the ratio of medians', () => {
    // Medians 300 and 100 (ratio 3) both times. Same-round ratios 1.90, 2.85, 3.00 (median 2.85): met.
    const runs = [loop(0, 'sipts', 300), loop(0, 'classic', 158), loop(1, 'sipts', 285), loop(1, 'classic', 100), loop(2, 'sipts', 300), loop(2, 'classic', 100)];
    const w = summarizeRuns(runs, settings).workloads[0];
    expect(w.rate.ratio).toBeCloseTo(3, 5);
    expect(w.rate.sameRound).toBeCloseTo(2.85, 2);
    expect(w.rate.met).toBe(true);
    // Same-round ratios 1.90, 1.90, 3.00 (median 1.90): the ratio of medians alone would say met.
    const slow = [loop(0, 'sipts', 300), loop(0, 'classic', 158), loop(1, 'sipts', 190), loop(1, 'classic', 100), loop(2, 'sipts', 300), loop(2, 'classic', 100)];
    const v = summarizeRuns(slow, settings).workloads[0];
    expect(v.rate.ratio).toBeCloseTo(3, 5);
    expect(v.rate.sameRound).toBeCloseTo(1.9, 5);
    expect(v.rate.met).toBe(false);
  });
});
