/**
 * Which `sip` implementation the example apps load. By default the facade (`@sipts/sip`, its
 * built CJS entry, as an app that installed it would load it). With SIPTS_EXAMPLES_IMPL=classic the
 * same apps run on the classic `sip@0.0.6` package instead (a devDependency, or bench's copy):
 *   SIPTS_EXAMPLES_IMPL=classic pnpm exec vitest run test/examples
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The newest modification time under a directory. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The apps `require('@sipts/sip')`, which Node resolves to the package's own built entry (a package
 * may require itself by name through its `exports`). Builds it with tsup when dist is missing or
 * older than src (bounded to 3 minutes).
 */
export function ensureFacadeBuilt(): void {
  if (CLASSIC) return;
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { name?: string };
  if (pkg.name !== '@sipts/sip') throw new Error(`${PACKAGE_DIR} is not @sipts/sip`);
  const dist = join(PACKAGE_DIR, 'dist');
  const src = join(PACKAGE_DIR, 'src');
  if (existsSync(dist) && readdirSync(dist).length > 0 && (!existsSync(src) || newest(dist) >= newest(src))) return;
  execFileSync('pnpm', ['exec', 'tsup'], { cwd: PACKAGE_DIR, stdio: 'ignore', timeout: 180_000 });
}
