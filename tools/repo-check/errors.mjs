#!/usr/bin/env node
// @ts-check
/**
 * The one error model holds: (1) the sources of packages/*\/src (tests left out) construct no
 * plain `Error` or other built-in error, only `SipError` and its subclasses, each with a code;
 * (2) docs/ERRORS.md has one row for every code of the closed `SipErrorCode` union of
 * packages/message/src/errors.ts, and no row for a code that is not in it.
 * `node tools/repo-check/errors.mjs` prints each problem and exits 1 if there is one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in tools/repo-check/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The file that declares the codes, and the page that documents them. */
export const CODES_FILE = 'packages/message/src/errors.ts';
export const ERRORS_PAGE = 'docs/ERRORS.md';

/**
 * Files allowed to construct a built-in error, each with the reason. Empty: every throw site uses
 * `SipError`. A new entry needs a reason a reviewer accepts.
 * @type {Map<string, string>}
 */
export const ALLOWED = new Map();

const BUILT_IN = /\bnew\s+(?:Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)\s*\(|\bthrow\s+['"`]/g;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test', 'fixtures', '.turbo']);
const TEST_FILE = /\.test(?:-d)?\.ts$|\.test\.tsx$/;

/**
 * Every non-test TypeScript source under packages/*\/src, repo-relative, sorted.
 * @param {string} root
 * @returns {string[]}
 */
export function packageSources(root = REPO_ROOT) {
  /** @type {string[]} */
  const out = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name));
      } else if (/\.tsx?$/.test(e.name) && !TEST_FILE.test(e.name) && !e.name.endsWith('.d.ts')) {
        out.push(relative(root, join(dir, e.name)));
      }
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    try {
      walk(join(root, 'packages', pkg.name, 'src'));
    } catch {
      // a package without src/
    }
  }
  return out.sort();
}

/**
 * The built-in errors one source constructs, outside comments.
 * @param {{ file: string, text: string }} input
 * @returns {string[]}
 */
export function plainErrorsOf({ file, text }) {
  /** @type {string[]} */
  const problems = [];
  let inBlock = false;
  text.split('\n').forEach((line, i) => {
    let code = line;
    if (inBlock) {
      const end = code.indexOf('*/');
      if (end === -1) return;
      code = code.slice(end + 2);
      inBlock = false;
    }
    code = code.replace(/\/\*.*?\*\//g, '');
    const open = code.indexOf('/*');
    if (open !== -1) {
      code = code.slice(0, open);
      inBlock = true;
    }
    code = code.replace(/(^|[^:])\/\/.*$/, '$1');
    for (const m of code.matchAll(BUILT_IN)) {
      problems.push(`${file}:${String(i + 1)}: ${m[0].trim()} — throw a SipError with a code (docs/ERRORS.md) instead`);
    }
  });
  return problems;
}

/**
 * Every built-in error constructed in packages/*\/src, except in the allowed files.
 * @param {string} root
 * @returns {string[]}
 */
export function checkPlainErrors(root = REPO_ROOT) {
  return packageSources(root)
    .filter((file) => !ALLOWED.has(file))
    .flatMap((file) => plainErrorsOf({ file, text: readFileSync(join(root, file), 'utf8') }));
}

/**
 * The codes of every `…ErrorCode` union declared in `source` (the text of errors.ts).
 * @param {string} source
 * @returns {string[]}
 */
export function declaredCodes(source) {
  /** @type {Set<string>} */
  const codes = new Set();
  for (const m of source.matchAll(/export type \w+ErrorCode =([^;]*);/g)) {
    const body = (m[1] ?? '').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const c of body.matchAll(/'([a-z0-9-]+)'/g)) codes.add(c[1] ?? '');
  }
  return [...codes].sort();
}

/**
 * The codes that head a row of the tables in `page` (the text of docs/ERRORS.md): a first cell
 * that is one code in backticks.
 * @param {string} page
 * @returns {string[]}
 */
export function documentedCodes(page) {
  return [...page.matchAll(/^\|\s*`([a-z0-9-]+)`\s*\|/gm)].map((m) => m[1] ?? '').sort();
}

/**
 * Codes declared and not documented, documented and not declared, or documented twice.
 * @param {string} root
 * @returns {string[]}
 */
export function checkErrorTable(root = REPO_ROOT) {
  const declared = declaredCodes(readFileSync(join(root, CODES_FILE), 'utf8'));
  const documented = documentedCodes(readFileSync(join(root, ERRORS_PAGE), 'utf8'));
  const rows = new Set(documented);
  return [
    ...declared.filter((c) => !rows.has(c)).map((c) => `${ERRORS_PAGE}: no row for '${c}' (declared in ${CODES_FILE})`),
    ...[...rows].filter((c) => !declared.includes(c)).map((c) => `${ERRORS_PAGE}: a row for '${c}', which ${CODES_FILE} does not declare`),
    ...documented.filter((c, i) => documented.indexOf(c) !== i).map((c) => `${ERRORS_PAGE}: '${c}' has more than one row`),
  ];
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const problems = [...checkPlainErrors(), ...checkErrorTable()];
  for (const p of problems) console.error(p);
  process.exit(problems.length === 0 ? 0 : 1);
}
