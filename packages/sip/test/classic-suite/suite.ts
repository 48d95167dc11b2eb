/**
 * Runs the classic package's own test suite (the `test/` folder of the `sip@0.0.6` npm tarball,
 * unmodified) against an implementation: its folder is copied next to three shim files (`sip.js`,
 * `digest.js`, `index.js`) that re-export the implementation, and each test runs alone in a child
 * process (driver.cjs) with coffee-script 1.x, bounded in time.
 *
 * The suite binds fixed ports (5060, 6060) on every interface and sends to 127.0.0.1. Where the
 * machine allows it (root: CI), each child runs in a network namespace of its own with only a
 * loopback interface (`unshare --net`), so the fixed ports cannot meet another test's and nothing
 * can leave the machine. Elsewhere the children run in the normal namespace.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from '@sipts/test-peers';

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = fileURLToPath(new URL('driver.cjs', import.meta.url));
const require = createRequire(join(PACKAGE_DIR, 'package.json'));

/** The classic package as installed (the devDependency `sip@0.0.6`). */
export const CLASSIC_DIR = dirname(require.resolve('sip/package.json'));
/** The built facade (`pnpm --filter @sipts/sip build`). */
export const FACADE_DIST = join(PACKAGE_DIR, 'dist');

/** One failed assertion, as the driver recorded it. */
export interface Failure {
  kind: 'ok' | 'equal' | 'deepEqual' | 'strictEqual' | 'deepStrictEqual' | 'notEqual' | 'console.assert' | 'threw' | 'timeout' | 'no-success';
  /** The last line the test logged before it (the torture test names its message that way). */
  after?: string;
  actual?: unknown;
  expected?: unknown;
  message: string;
}

/** How one test ended. */
export interface TestOutcome {
  /** It called its success callback and no assertion failed. */
  passed: boolean;
  /** It called its success callback (in soft mode: it ran to its end). */
  completed: boolean;
  failures: Failure[];
  /** The end of its output, for failure messages. */
  output: string;
}

/** A copy of the suite wired to one implementation. */
export interface Suite {
  dir: string;
  /** Runs test `index` of `module`; `soft` records every failed assertion instead of stopping at the first. */
  run(module: string, index: number, options?: { soft?: boolean; timeoutMs?: number }): Promise<TestOutcome>;
  /** Runs the standalone script test/<name>.js (soft: every failed assertion recorded); it passes when it prints PASSED. */
  runScript(name: string, options?: { soft?: boolean; timeoutMs?: number }): Promise<TestOutcome>;
  /** Runs the tarball's own runner, `coffee test/runtests.coffee <modules>`, and returns its output. */
  runRunner(modules: string[], timeoutMs?: number): Promise<{ code: number | null; output: string }>;
  remove(): void;
}

let isolation: boolean | undefined;
/** True when children can run in a loopback-only network namespace. */
export function canIsolate(): boolean {
  // unshare (util-linux) and ip (iproute2) must both work, and the loopback come up.
  isolation ??= process.platform === 'linux' && spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return isolation;
}

/** The command that runs `args` (a node command line) with `env` added, isolated when possible. */
function isolated(env: Record<string, string>, args: string[]): [string, string[]] {
  const withEnv = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  if (!canIsolate()) return ['env', withEnv];
  const quoted = ['env', ...withEnv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['unshare', ['--net', 'sh', '-c', `ip link set lo up && exec ${quoted}`]];
}

/**
 * Copies the classic suite and points it at `impl`: `'facade'` (the built `@sipts/sip`) or
 * `'classic'` (the classic package itself, to show what the suite expects).
 */
export function prepareSuite(impl: 'facade' | 'classic'): Suite {
  const dir = mkdtempSync(join(tmpdir(), `sipts-classic-suite-${impl}-`));
  cpSync(join(CLASSIC_DIR, 'test'), join(dir, 'test'), { recursive: true });
  const target = impl === 'facade' ? { sip: join(FACADE_DIST, 'index.cjs'), digest: join(FACADE_DIST, 'digest.cjs') } : { sip: join(CLASSIC_DIR, 'sip.js'), digest: join(CLASSIC_DIR, 'digest.js') };
  writeFileSync(join(dir, 'sip.js'), `module.exports = require(${JSON.stringify(target.sip)});\n`);
  writeFileSync(join(dir, 'digest.js'), `module.exports = require(${JSON.stringify(target.digest)});\n`);
  writeFileSync(join(dir, 'index.js'), `module.exports = require('./sip.js');\n`);
  // The 2_*.js scripts require '../udp.js', a module of the 2010 sip.js that no tarball ships: a
  // UDP socket whose optional argument is the message listener.
  writeFileSync(join(dir, 'udp.js'), `const dgram = require('node:dgram');\nexports.createSocket = (onMessage) => {\n  const s = dgram.createSocket('udp4');\n  if (onMessage) s.on('message', onMessage);\n  return s;\n};\n`);
  const coffee = dirname(require.resolve('coffee-script/package.json'));
  // The classic package's own dependency (ws) resolves from this package's node_modules.
  const env = { SIPTS_COFFEE_SCRIPT: coffee, NODE_PATH: join(PACKAGE_DIR, 'node_modules') };

  return {
    dir,
    run(module, index, options = {}) {
      return drive(module, String(index), options);
    },
    runScript(name, options = {}) {
      return drive(name, 'script', options);
    },
    async runRunner(modules, timeoutMs = 60_000) {
      const coffeeBin = join(coffee, 'bin', 'coffee');
      const [cmd, args] = isolated(env, [process.execPath, coffeeBin, join(dir, 'test', 'runtests.coffee'), ...modules]);
      const r = await runTool(cmd, args, { cwd: dir, timeoutMs });
      return { code: r.code, output: `${r.stdout}\n${r.stderr}` };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function drive(name: string, index: string, options: { soft?: boolean; timeoutMs?: number }): Promise<TestOutcome> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const [cmd, args] = isolated(env, [process.execPath, DRIVER, dir, name, index, options.soft === true ? 'soft' : 'strict', String(timeoutMs)]);
    const r = await runTool(cmd, args, { cwd: dir, timeoutMs: timeoutMs + 10_000 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT:'));
    const output = `exit ${String(r.code)} ${String(r.signal)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
    if (line === undefined) return { passed: false, completed: false, failures: [{ kind: 'threw', message: 'the driver printed no result' }], output };
    const result = JSON.parse(line.slice('RESULT:'.length)) as Omit<TestOutcome, 'output'>;
    return { ...result, output };
  }
}
