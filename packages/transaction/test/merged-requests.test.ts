/**
 * The merged-request table on its own: hashed keys, no string kept (RFC 3261 §8.2.2.2).
 * @see RFC 3261 §8.2.2.2
 */
import { describe, expect, it } from 'vitest';
import { MergedRequests } from '../src/merged-requests.js';

describe('MergedRequests', () => {
  it('detects a key while it is remembered and not after it is forgotten', () => {
    const m = new MergedRequests();
    const h = m.remember('tagA\u0001call-1\u00011\u0001INVITE');
    expect(typeof h).toBe('number');
    expect(m.isMerged('tagA\u0001call-1\u00011\u0001INVITE')).toBe(true);
    expect(m.isMerged('tagA\u0001call-1\u00012\u0001INVITE')).toBe(false);
    expect(m.isMerged(undefined)).toBe(false);
    m.forget(h as number);
    expect(m.isMerged('tagA\u0001call-1\u00011\u0001INVITE')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('tells 100,000 distinct keys apart: no false merge among them, each remembered once', () => {
    const m = new MergedRequests();
    let recorded = 0;
    for (let i = 0; i < 100_000; i++) if (m.remember(`t${String(i)}\u0001${String(i * 7)}@h\u00011\u0001OPTIONS`) !== undefined) recorded++;
    // A first-hash collision skips a record (documented); with 30 bits a handful at most.
    expect(recorded).toBeGreaterThan(99_980);
    let falseMerges = 0;
    for (let i = 100_000; i < 200_000; i++) if (m.isMerged(`t${String(i)}\u0001${String(i * 7)}@h\u00011\u0001OPTIONS`)) falseMerges++;
    expect(falseMerges).toBe(0);
    expect(m.remember(`t${String(5)}\u0001${String(35)}@h\u00011\u0001OPTIONS`)).toBeUndefined();
    m.clear();
    expect(m.size).toBe(0);
  });
});
