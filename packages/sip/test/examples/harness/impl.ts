/**
 * Which `sip` implementation the example apps load. By default the facade (`@sipts/sip`, its
 * built CJS entry, as an app that installed it would load it). With SIPTS_EXAMPLES_IMPL=classic the
 * same apps run on the classic `sip@0.0.6` package instead (a devDependency, or bench's copy):
 *   SIPTS_EXAMPLES_IMPL=classic pnpm exec vitest run test/examples
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStampState } from '../../../../../tools/config/build-stamp.mjs';

/** packages/sip */
export const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** True when the run is against the classic package. */
export const CLASSIC = process.env.SIPTS_EXAMPLES_IMPL === 'classic';

/** The directory of the classic package, found from packages/sip, else from bench/. */
function classicDir(): string {
  for (const from of [PACKAGE_DIR, join(PACKAGE_DIR, '../../bench/')]) {
    try {
      return dirname(createRequire(join(from, 'package.json')).resolve('sip/package.json'));
    } catch {
      // not installed there
    }
  }
  throw new Error('SIPTS_EXAMPLES_IMPL=classic: the classic `sip` package is not installed (packages/sip devDependency or bench/)');
}

/** Environment that points the apps at the implementation under test (SIP_IMPL). */
export function implEnv(): Record<string, string> {
  return CLASSIC ? { SIP_IMPL: classicDir() } : {};
}

/** The packages whose dist the apps load: the facade and every @sipts package under it. */
function facadeChain(): string[] {
  const dirs = new Set<string>();
  const visit = (dir: string): void => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) if (name.startsWith('@sipts/')) visit(join(PACKAGE_DIR, '..', name.slice('@sipts/'.length)));
  };
  visit(PACKAGE_DIR);
  return [...dirs];
}

/**
 * The apps `require('@sipts/sip')`, which Node resolves to the package's own built entry (a package
 * may require itself by name through its `exports`), and that to the other layers' dist. Builds
 * the facade and its layers (bounded to 5 minutes) when any dist was not built from the sources
 * as they are now: by the build stamp (tools/config/build-stamp.mjs, a digest of the sources), not
 * by file times, which a fresh clone or a checkout make meaningless.
 */
export function ensureFacadeBuilt(): void {
  if (CLASSIC) return;
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { name?: string };
  if (pkg.name !== '@sipts/sip') throw new Error(`${PACKAGE_DIR} is not @sipts/sip`);
  if (facadeChain().every((dir) => buildStampState(dir).current)) return;
  execFileSync('pnpm', ['--filter', '@sipts/sip...', 'run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore', timeout: 300_000 });
}
