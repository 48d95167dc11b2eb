/**
 * Package roots list what they export. An `export *` in a package's entry (`src/index.ts`,
 * `src/node/index.ts`) publishes whatever a module happens to export, helpers written for its
 * tests included; every name a root exports is chosen and written out instead.
 * Run: `node package-roots.mjs` (exit 1 and a list when a root re-exports a whole module).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRIES = ['src/index.ts', 'src/node/index.ts'];

/**
 * The `export *` lines of one entry's text, as `file:line: text` (comments are skipped).
 * @param {{ file: string, text: string }} entry
 * @returns {string[]}
 */
export function wholeModuleExports({ file, text }) {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/.*$/gm, '');
  /** @type {string[]} */
  const found = [];
  withoutComments.split('\n').forEach((line, i) => {
    if (/\bexport\s+(type\s+)?\*/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

/**
 * Every `export *` in the entries of the packages under `packages/`.
 * @param {string} [root] the repository root
 * @returns {string[]}
 */
export function checkPackageRoots(root = ROOT) {
  const packages = join(root, 'packages');
  /** @type {string[]} */
  const found = [];
  for (const name of readdirSync(packages)) {
    for (const entry of ENTRIES) {
      const path = join(packages, name, entry);
      if (!existsSync(path)) continue;
      found.push(...wholeModuleExports({ file: relative(root, path), text: readFileSync(path, 'utf8') }));
    }
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = checkPackageRoots();
  for (const line of found) console.log(line);
  process.exitCode = found.length === 0 ? 0 : 1;
}
