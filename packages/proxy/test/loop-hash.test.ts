/**
 * The loop-detection hash (RFC 3261 §16.6 item 8): two FNV-1a 32-bit lanes. The first lane is
 * plain FNV-1a (offset basis 0x811c9dc5), so the published FNV-1a test vectors pin it.
 */
import { describe, expect, it } from 'vitest';
import { hashText } from '../src/loop.js';

describe('hashText', () => {
  it('matches the published FNV-1a 32-bit vectors in its first lane', () => {
    expect(hashText('').slice(0, 8)).toBe('811c9dc5');
    expect(hashText('a').slice(0, 8)).toBe('e40c292c');
    expect(hashText('foobar').slice(0, 8)).toBe('bf9cf968');
  });

  it('gives 16 hex digits whose lanes differ, and differs for texts one character apart', () => {
    const h = hashText('sip:bob@127.0.0.1\nf1\ncall-1\n1');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(h.slice(0, 8)).not.toBe(h.slice(8));
    expect(hashText('sip:bob@127.0.0.1\nf1\ncall-1\n2')).not.toBe(h);
  });
});
