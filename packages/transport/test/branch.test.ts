import { describe, expect, it } from 'vitest';
import { BRANCH_COOKIE, generateBranch, generateTag } from '../src/index.js';
import { RANDOM_POOL_BYTES } from '../src/branch.js';

describe('generateBranch', () => {
  it('starts with the magic cookie and carries at least 64 random bits', () => {
    const b = generateBranch();
    expect(b.startsWith(BRANCH_COOKIE)).toBe(true);
    const rest = b.slice(BRANCH_COOKIE.length);
    expect(rest).toMatch(/^[a-z2-7]+$/);
    expect(rest.length * 5).toBeGreaterThanOrEqual(64);
  });

  it('never repeats in 10,000 draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(generateBranch());
    expect(seen.size).toBe(10_000);
  });

  it('draws from crypto.getRandomValues in pooled chunks: one call for hundreds of tags', () => {
    const original = crypto.getRandomValues.bind(crypto);
    let calls = 0;
    const spy = <T extends ArrayBufferView | null>(a: T): T => {
      calls++;
      return original(a as never);
    };
    Object.defineProperty(crypto, 'getRandomValues', { value: spy, configurable: true, writable: true });
    try {
      // 13 + 10 bytes per pair: 1,000 pairs need 23,000 bytes, i.e. 6 refills of RANDOM_POOL_BYTES.
      for (let i = 0; i < 1000; i++) {
        generateBranch();
        generateTag();
      }
    } finally {
      Object.defineProperty(crypto, 'getRandomValues', { value: original, configurable: true, writable: true });
    }
    expect(calls).toBeGreaterThanOrEqual(Math.floor(23_000 / RANDOM_POOL_BYTES));
    expect(calls).toBeLessThanOrEqual(Math.ceil(23_000 / RANDOM_POOL_BYTES) + 1);
  });

  it('uses every character of the base32 alphabet about evenly (no stuck bits)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of generateTag()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 32,000 characters: 1,000 expected per letter; 800–1,200 is beyond 6 standard deviations.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1200);
    }
  });
});

describe('generateTag', () => {
  it.each([0, 1, 2, 3, 4])('draw %i is a token of at least 64 bits', () => {
    const t = generateTag();
    expect(t).toMatch(/^[a-z2-7]{16}$/);
  });

  it('never repeats in 10,000 draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(generateTag());
    expect(seen.size).toBe(10_000);
  });
});
