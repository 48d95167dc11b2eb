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

describe('summarizeRuns, fixed-rate CPU', () => {
  const fixed = (round, impl, cpu, cold) => ({ round, workload: 'uas-options', impl, kind: 'fixed', pass: true, app: { cpuUsPerUnit: cpu }, warm: cold === undefined ? undefined : { seconds: 3, cpuUsPerUnit: cold } });
  it('reports the warm CPU as the figure, the warm-up as the cold one, each a median over the rounds', () => {
    const runs = [fixed(0, 'sipts', 30, 60), fixed(1, 'sipts', 32, 64), fixed(2, 'sipts', 31, 70), fixed(0, 'classic', 45, 50), fixed(1, 'classic', 48, 52), fixed(2, 'classic', 47, 51)];
    const w = summarizeRuns(runs, settings).workloads[0];
    expect(w.cpu.sipts).toBe(31);
    expect(w.cpu.classic).toBe(47);
    expect(w.cpu.sipts_cold).toBe(64);
    expect(w.cpu.classic_cold).toBe(51);
  });
  it('has no cold figure for runs made without a warm-up', () => {
    const w = summarizeRuns([fixed(0, 'sipts', 30), fixed(0, 'classic', 45)], settings).workloads[0];
    expect(w.cpu.sipts).toBe(30);
    expect(Number.isNaN(w.cpu.sipts_cold) || w.cpu.sipts_cold === undefined).toBe(true);
  });
});
