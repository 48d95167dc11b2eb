/**
 * Where a facade-bench figure comes from: the machine, the commit, whether the tree was clean and
 * whether the @sipts/sip dist the apps load is older than the sources it is built from.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The newest modification time of a file under `dir` (ms), skipping node_modules and dist. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
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
  const builtAt = statSync(dist).mtimeMs;
  const srcAt = newest(join(ROOT, 'packages'));
  const dirty = git(['status', '--porcelain', '--', 'packages', 'pnpm-lock.yaml']);
  return {
    commit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    /** The last commit that changed packages/: the code measured, when `clean`. */
    packagesCommit: git(['log', '-1', '--format=%h', '--', 'packages']) ?? 'unknown',
    short: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    clean: dirty === '',
    dist: relative(ROOT, dirname(dist)),
    distBuiltAt: new Date(builtAt).toISOString(),
    distStale: srcAt > builtAt,
    classic: `sip@${require('sip/package.json').version}`,
  };
}
