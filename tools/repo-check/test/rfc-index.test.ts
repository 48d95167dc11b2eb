import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX_PAGE, REPO_ROOT, buildIndex, renderIndex, rfcRefs, seeTags, withIndex } from '../rfc-index.mjs';

describe('the RFC index of docs/ARCHITECTURE.md', () => {
  it('is current: regenerating it from the @see tags changes nothing (run `node tools/repo-check/rfc-index.mjs`)', () => {
    const page = readFileSync(join(REPO_ROOT, INDEX_PAGE), 'utf8');
    expect(withIndex(page, renderIndex(buildIndex()))).toBe(page);
  });

  it('lists the transaction state machines under RFC 3261 §17', () => {
    const sections = buildIndex().get(3261);
    expect(sections?.get('17.1.1')).toBeDefined();
    expect([...(sections?.get('17.2.1') ?? [])].some((f) => f.startsWith('packages/transaction/src/'))).toBe(true);
  });

  it('gives each section to the RFC named before it', () => {
    expect(rfcRefs('RFC 3261 §16.5, §19.1.4; RFC 5626 §5.3 and RFC 4122')).toEqual([
      [3261, '16.5'],
      [3261, '19.1.4'],
      [5626, '5.3'],
      [4122, ''],
    ]);
    expect(rfcRefs('classic-api "Digest"')).toEqual([]);
  });

  it('reads a tag that runs on over the next comment lines, and stops at the next tag', () => {
    const source = ['/**', ' * Text.', ' * @see RFC 3261 §17.1.1,', ' *   §17.1.2', ' * @throws never', ' */'].join('\n');
    expect(seeTags(source).flatMap(rfcRefs)).toEqual([
      [3261, '17.1.1'],
      [3261, '17.1.2'],
    ]);
  });
});
