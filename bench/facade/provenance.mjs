/**
 * Where a facade-bench figure comes from: the machine, the commit, whether the tree was clean and
 * whether the dist the apps load (@sipts/sip and the layers under it) was built from the sources
 * as they are: by each package's build stamp (tools/config/build-stamp.mjs, a digest of its
 * sources), not by file times, which a fresh clone or turbo's logs made fire falsely.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStampState } from '../../tools/config/build-stamp.mjs';
import { SIPP } from '../transaction/sipp.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** The facade and every @sipts package under it, as folders under packages/. */
function facadeChain() {
  const dirs = new Set();
  const visit = (dir) => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const name of Object.keys(pkg.dependencies ?? {})) if (name.startsWith('@sipts/')) visit(join(ROOT, 'packages', name.slice('@sipts/'.length)));
  };
  visit(join(ROOT, 'packages', 'sip'));
  return [...dirs];
}

/** The packages whose dist does not match their sources, with why (empty: all current). */
export function staleDists() {
  return facadeChain()
    .map((dir) => ({ dir: relative(ROOT, dir), state: buildStampState(dir) }))
    .filter((d) => !d.state.current)
    .map((d) => `${d.dir}: ${d.state.reason}`);
}

export function machine() {
  const cpus = os.cpus();
  const sipp = spawnSync(SIPP, ['-v'], { encoding: 'latin1' });
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sipp: (`${sipp.stdout ?? ''}${sipp.stderr ?? ''}`.match(/SIPp v[^\s,]+/) ?? ['unknown'])[0].replace(/\.$/, ''),
  };
}

export function source() {
  const dist = require.resolve('@sipts/sip');
  const sip = buildStampState(join(ROOT, 'packages', 'sip'));
  const stale = staleDists();
  const dirty = git(['status', '--porcelain', '--', 'packages', 'pnpm-lock.yaml']);
  return {
    commit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    /** The last commit that changed packages/: the code measured, when `clean`. */
    packagesCommit: git(['log', '-1', '--format=%h', '--', 'packages']) ?? 'unknown',
    short: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    clean: dirty === '',
    dist: relative(ROOT, dirname(dist)),
    /** When the @sipts/sip dist was built (its build stamp), and from which commit. */
    distBuiltAt: sip.builtAt ?? 'unknown',
    distCommit: sip.commit ?? 'unknown',
    distStale: stale.length > 0,
    /** Why, per package, when `distStale`. */
    distStaleReasons: stale,
    classic: `sip@${require('sip/package.json').version}`,
  };
}
