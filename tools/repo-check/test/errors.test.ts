import { describe, expect, it } from 'vitest';
import { ALLOWED, checkErrorTable, checkPlainErrors, declaredCodes, documentedCodes, packageSources, plainErrorsOf } from '../errors.mjs';

describe('one error model', () => {
  it('no package source constructs a plain Error (throw a SipError with a code)', () => {
    expect(packageSources().length).toBeGreaterThan(100);
    expect(checkPlainErrors()).toEqual([]);
    expect([...ALLOWED.keys()]).toEqual([]);
  });

  it('flags built-in errors and thrown strings in code, not in comments', () => {
    const text = [
      "throw new Error('x');",
      "return Promise.reject(new RangeError('y'));",
      "reject(Object.assign(new TypeError('z'), { code: 'E' }));",
      'throw `bad ${what}`;',
      '/**',
      " * @example if (!ok) throw new Error('in a TSDoc example')",
      ' */',
      "// new Error('in a line comment')",
      "const e = new SipError('send-failed', 'fine'); /* new Error('in a block comment') */",
      "const url = 'https://x'; // new Error('after a URL')",
    ].join('\n');
    expect(plainErrorsOf({ file: 'x.ts', text }).map((p) => p.split(':')[1])).toEqual(['1', '2', '3', '4']);
  });

  it('docs/ERRORS.md has exactly one row per code of SipErrorCode', () => {
    expect(checkErrorTable()).toEqual([]);
  });

  it('reads the codes of every ErrorCode union, and the rows of the tables', () => {
    const source = [
      "export type AErrorCode =\n  | 'one'\n  /** a comment naming 'not-a-code' */\n  | 'two';",
      "export type BErrorCode = 'three' | AErrorCode;",
      "export type Other = 'ignored';",
    ].join('\n');
    expect(declaredCodes(source)).toEqual(['one', 'three', 'two']);
    const page = '| Code | Meaning |\n|---|---|\n| `one` | first |\n| `two` | second |\n| not a code | x |';
    expect(documentedCodes(page)).toEqual(['one', 'two']);
  });
});
