/**
 * A build stamp: what a package's dist was built from, so that a tool that loads the dist (the
 * facade's example tests, bench/facade) can tell whether it matches the sources without comparing
 * file times, which a fresh clone, a checkout or turbo's logs make meaningless. The build writes
 * `dist/build-source.json` with a digest of the inputs (every file under src/, package.json and
 * tsup.config.ts) and the commit it was built at; the dist is current when the digest of the
 * inputs now is the same.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The stamp's file name inside dist/. */
export const STAMP_FILE = 'build-source.json';

/** @param {string} dir @returns {string[]} every file under `dir`, sorted */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/**
 * The digest of a package's build inputs (sha256 over each file's path and bytes).
 * @param {string} packageDir
 * @returns {string}
 */
export function sourceDigest(packageDir) {
  const hash = createHash('sha256');
  const inputs = [...filesUnder(join(packageDir, 'src')), join(packageDir, 'package.json'), join(packageDir, 'tsup.config.ts')];
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(`${relative(packageDir, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** @param {string} cwd @returns {string} HEAD, or 'unknown' outside a git checkout */
function headCommit(cwd) {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Writes `dist/build-source.json` for the package in `packageDir` (tsup's `onSuccess`).
 * @param {string} packageDir
 */
export function writeBuildStamp(packageDir) {
  const dist = join(packageDir, 'dist');
  mkdirSync(dist, { recursive: true });
  const stamp = { digest: sourceDigest(packageDir), commit: headCommit(packageDir), builtAt: new Date().toISOString() };
  writeFileSync(join(dist, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
}

/**
 * Whether the package's dist was built from its sources as they are now.
 * @param {string} packageDir
 * @returns {{ current: boolean, reason: string, commit?: string, builtAt?: string }}
 */
export function buildStampState(packageDir) {
  const file = join(packageDir, 'dist', STAMP_FILE);
  if (!existsSync(file)) return { current: false, reason: 'no build stamp (not built, or built before stamps)' };
  /** @type {{ digest?: unknown, commit?: unknown, builtAt?: unknown }} */
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { current: false, reason: 'unreadable build stamp' };
  }
  const commit = typeof stamp.commit === 'string' ? stamp.commit : 'unknown';
  const builtAt = typeof stamp.builtAt === 'string' ? stamp.builtAt : 'unknown';
  if (stamp.digest !== sourceDigest(packageDir)) return { current: false, reason: `sources changed since the build (at commit ${commit.slice(0, 12)})`, commit, builtAt };
  return { current: true, reason: `built from these sources (at commit ${commit.slice(0, 12)})`, commit, builtAt };
}
