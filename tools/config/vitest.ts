/**
 * The vitest settings every package and app extends. Each `vitest.config.ts` imports this file by
 * relative path (a config is loaded before any package is resolved) and passes what differs.
 */
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Resolve conditions for Node runs: our private `@sipts/source` first, so tests read sibling packages'
 * `src/` with no build. Vite replaces its default conditions when any are given, so they are restated.
 */
export const nodeConditions = ['@sipts/source', 'module', 'node', 'development|production'];

/** The same for browser runs (vitest browser mode). */
export const browserConditions = ['@sipts/source', 'module', 'browser', 'development|production'];

/** What a package may change; everything else is the house default. */
export interface SiptsVitestOptions {
  /** Per-test limit in ms (default 30 000: two cores shared with the rest of the suite; a slow run is not a failure). */
  readonly testTimeout?: number;
  /** Per-hook limit in ms (default 30 000). */
  readonly hookTimeout?: number;
  /**
   * Run test files one at a time (default true): socket tests bind loopback ports and start peers, and
   * files in parallel would compete for two cores.
   */
  readonly fileParallelism?: boolean;
  /** Files run once before the whole run (vitest `globalSetup`). */
  readonly globalSetup?: readonly string[];
}

/**
 * The house vitest config for a Node package: `src/**` and `test/**` tests, the source-first
 * conditions for both the client and the SSR (Node) resolver.
 * @example
 * export default siptsVitestConfig({ testTimeout: 40_000 });
 */
export function siptsVitestConfig(options: SiptsVitestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: nodeConditions },
    ssr: { resolve: { conditions: nodeConditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: options.hookTimeout ?? 30_000,
      fileParallelism: options.fileParallelism ?? false,
      // `expect.poll` waits for something that must happen (an app's event, a page's text): its
      // bound is how long a busy 2-core machine may take, not a timing claim. Vitest's own default
      // (1 s) is a real-time window that a loaded run can miss; a check that never comes true still
      // fails, after 20 s.
      expect: { poll: { timeout: 20_000 } },
      ...(options.globalSetup === undefined ? {} : { globalSetup: [...options.globalSetup] }),
    },
  });
}
