/**
 * Test support for the inspector's end-to-end tests: the built page (this run's build, test/global-build.ts)
 * served by `vite preview` on a free loopback port, and Debian's headless Chromium driven by
 * playwright-core. Both are started per test file and always stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@sipts/test-peers';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { inject } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The app's folder (apps/web). */
export const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A served inspector page in a browser, and what the page did. */
export interface InspectorHarness {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The page's origin, e.g. http://127.0.0.1:41234 */
  origin: string;
  /** Every URL the page requested. */
  requests: string[];
  /** Console errors (CSP violations among them) and uncaught page errors. */
  errors: string[];
  /** Loads the inspector afresh and waits until its script has run. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves this run's built pages and opens the inspector in headless Chromium.
 * @throws Error when the build has no inspector page
 */
export async function openInspector(viewport = { width: 1280, height: 900 }): Promise<InspectorHarness> {
  const outDir = inject('webDist');
  const index = resolve(outDir, 'index.html');
  if (!existsSync(index) || !readFileSync(index, 'utf8').includes('SIP message inspector')) {
    throw new Error(`${index} is not the built inspector (test/global-build.ts builds it)`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/ensure-debian-packages.sh)`);
  const port = await freePort();
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await preview({
      root: appDir,
      configFile: resolve(appDir, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir },
      preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const origin = `http://127.0.0.1:${port}`;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const reload = async (): Promise<void> => {
      await page.goto(`${origin}/`);
      await page.waitForSelector('body[data-ready="true"]');
    };
    await reload();
    const own = { server, browser };
    return {
      browser,
      context,
      page,
      origin,
      requests,
      errors,
      reload,
      async close() {
        await own.browser.close().catch(() => undefined);
        await own.server.close();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    throw e;
  }
}
