import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRepo, problemsOf } from '../links.mjs';

describe('the repository stands alone', () => {
  it('no file points outside the repository', () => {
    expect(checkRepo()).toEqual([]);
  });

  it('flags the notes that lived beside a checkout', () => {
    const text = [
      'the conventions are in `../shared/STYLE.md`',
      ' * @see classic-sip-behaviour.md §2.1',
      '"dist": "/work/main/packages/proxy/dist/index.js"',
      'see the corpus in shared/conformance/torture',
    ].join('\n');
    const problems = problemsOf({ file: 'x.ts', text });
    expect(problems.map((p) => p.split(':')[1])).toEqual(['1', '2', '3', '4']);
  });

  it('accepts the same words when they name files inside the repository', () => {
    const text = 'see docs/CONVENTIONS.md and packages/sip/README.md; dist: packages/proxy/dist/index.js';
    expect(problemsOf({ file: 'x.ts', text })).toEqual([]);
  });

  it('flags Markdown links that leave the repository or name a missing file', () => {
    const root = mkdtempSync(join(tmpdir(), 'sipts-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'A.md'), '# A\n');
    const text = '[a](A.md#top) [web](https://example.com/x) [up](../../outside.md) [gone](B.md) [self](#a)';
    const problems = problemsOf({ file: 'docs/INDEX.md', text, root });
    expect(problems).toEqual([
      'docs/INDEX.md:1: links outside the repository (../../outside.md)',
      'docs/INDEX.md:1: links to a missing file (B.md)',
    ]);
  });
});
