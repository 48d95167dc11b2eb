import { readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import type { BrowserCommand } from 'vitest/node';
import { defineConfig } from 'vitest/config';
import { browserConditions, nodeConditions } from '../../tools/config/vitest.js';

const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const fixturesDir = fileURLToPath(new URL('./test/fixtures/', import.meta.url));

/**
 * Browser-side half of `test/read-fixture.ts`: returns a fixture's exact bytes as base64, since
 * command results travel as JSON and fixtures hold NULs and bytes that are not UTF-8.
 */
const readFixtureBase64: BrowserCommand<[relPath: string], string> = async (_context, relPath) => {
  const file = resolve(fixturesDir, relPath);
  const rel = relative(fixturesDir, file);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) {
    throw new Error(`fixture path escapes test/fixtures: ${relPath}`);
  }
  return (await readFile(file)).toString('base64');
};

// Debian's Chromium (scripts/ensure-chromium.sh installs it); Playwright never downloads a browser here.
const chromiumArgs = [
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Chromium refuses to start its sandbox as root (CI runs as root).
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export default defineConfig({
  resolve: { conditions: browserConditions },
  ssr: { resolve: { conditions: nodeConditions } },
  test: {
    // Property tests share two cores with the rest of `pnpm test:all`; a slow run is not a failure
    // (speed is measured in bench/, never asserted here).
    testTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', include },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: '/usr/bin/chromium',
                args: chromiumArgs,
              },
            }),
            instances: [{ browser: 'chromium' }],
            commands: { readFixtureBase64 },
          },
        },
      },
    ],
  },
});
