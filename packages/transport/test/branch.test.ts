import { describe, expect, it } from 'vitest';
import { BRANCH_COOKIE, generateBranch, generateTag } from '../src/index.js';

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

  it('uses crypto.getRandomValues', () => {
    const original = crypto.getRandomValues.bind(crypto);
    let calls = 0;
    const spy = <T extends ArrayBufferView | null>(a: T): T => {
      calls++;
      return original(a as never);
    };
    Object.defineProperty(crypto, 'getRandomValues', { value: spy, configurable: true, writable: true });
    try {
      generateBranch();
      generateTag();
    } finally {
      Object.defineProperty(crypto, 'getRandomValues', { value: original, configurable: true, writable: true });
    }
    expect(calls).toBe(2);
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
