import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPackageRoots, wholeModuleExports } from '../package-roots.mjs';

describe('package roots list their exports', () => {
  it('no package entry re-exports a whole module', () => {
    expect(checkPackageRoots()).toEqual([]);
  });

  it('flags export * and export type *, with or without a namespace', () => {
    const text = ["export * from './types.js';", "export type * from './clock.js';", "export * as stun from './stun.js';"].join('\n');
    expect(wholeModuleExports({ file: 'x.ts', text })).toEqual([
      "x.ts:1: export * from './types.js';",
      "x.ts:2: export type * from './clock.js';",
      "x.ts:3: export * as stun from './stun.js';",
    ]);
  });

  it('accepts named lists and ignores comments', () => {
    const text = ["/** not `export * from './a.js'` */", "// export * from './b.js'", "export { a, type B } from './a.js';"].join('\n');
    expect(wholeModuleExports({ file: 'x.ts', text })).toEqual([]);
  });

  it('finds an export * in a node entry of a package', () => {
    const root = mkdtempSync(join(tmpdir(), 'sipts-roots-'));
    mkdirSync(join(root, 'packages', 'p', 'src', 'node'), { recursive: true });
    writeFileSync(join(root, 'packages', 'p', 'src', 'index.ts'), "export { a } from './a.js';\n");
    writeFileSync(join(root, 'packages', 'p', 'src', 'node', 'index.ts'), "export { b } from './b.js';\nexport * from './c.js';\n");
    expect(checkPackageRoots(root)).toEqual(["packages/p/src/node/index.ts:2: export * from './c.js';"]);
  });
});
