/**
 * What the client's end-to-end tests run on: the built pages (this run's build, test/global-build.ts) served from node:http on a
 * free loopback port, the sipts server app in-process on free ports with a temp data dir, and
 * Debian's headless Chromium driven by playwright-core.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { freePort } from '@sipts/test-peers';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { createServer, loadConfig, openStore, type LocationStore } from './client-server-entry.js';

export const WEB_ROOT = resolve(import.meta.dirname, '..');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Checks that this run's build (test/global-build.ts) has the client page. */
export function ensureBuilt(): Promise<void> {
  const client = join(inject('webDist'), 'client.html');
  return existsSync(client) ? Promise.resolve() : Promise.reject(new Error(`${client} is missing: the global setup did not build the pages`));
}

/**
 * Serves a copy of this run's built pages on 127.0.0.1; resolves with the base URL and a close function.
 */
export async function serveDist(): Promise<{ url: string; close(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'sipts-web-dist-'));
  cpSync(inject('webDist'), root, { recursive: true });
  const server: Server = createHttpServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          ok();
        });
      }),
  };
}

/** The sipts server app on fixed (free) ports and a temp data dir, restartable on the same ones. */
export interface AppServer {
  ports: { udp: number; tcp: number; ws: number };
  wsUrl: string;
  /**
   * `wss://127.0.0.1:<port>` while it runs, when started with a WSS listener (port 0: the port
   * the system chose, which changes on each start); otherwise undefined.
   */
  readonly wssUrl: string | undefined;
  /** Its location store (SQLite in the data dir), kept open across restarts, closed by dispose. */
  readonly store: LocationStore;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it, closes the store and removes the data dir. */
  dispose(): Promise<void>;
}

/** What {@link startAppServer} adds to the default listeners. */
export interface AppServerOptions {
  /** A WSS listener on a system-chosen port with this certificate and key (PEM file paths). */
  wss?: { cert: string; key: string };
}

export async function startAppServer(options: AppServerOptions = {}): Promise<AppServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipts-web-e2e-'));
  const udp = await freePort();
  let tcp = await freePort();
  while (tcp === udp) tcp = await freePort();
  let ws = await freePort();
  while (ws === udp || ws === tcp) ws = await freePort();
  const argv = ['--address', '127.0.0.1', '--udp-port', String(udp), '--tcp-port', String(tcp), '--ws-port', String(ws), '--http-port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
  const loaded = loadConfig({ argv, env: {}, cwd: dataDir });
  const config = options.wss === undefined ? loaded : { ...loaded, listen: { ...loaded.listen, wss: { port: 0, ...options.wss } } };
  const store = openStore(config.store, dataDir);
  let running: ReturnType<typeof createServer> | undefined;
  const app: AppServer = {
    ports: { udp, tcp, ws },
    wsUrl: `ws://127.0.0.1:${String(ws)}`,
    get wssUrl() {
      const port = running?.ports.wss;
      return port === undefined ? undefined : `wss://127.0.0.1:${String(port)}`;
    },
    store,
    async start() {
      const s = createServer(config, { store });
      await s.start();
      running = s;
    },
    async stop() {
      const s = running;
      running = undefined;
      if (s !== undefined) await s.stop();
    },
    async dispose() {
      await app.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await app.start();
  } catch (e) {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return app;
}

/**
 * Debian's Chromium, headless, with nothing downloaded and no background traffic; `extraArgs`
 * are added to its command line (e.g. `--ignore-certificate-errors-spki-list=…`).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** Opens the client page and signs in; waits for the given state (default `registered`). */
export async function signIn(page: Page, base: string, who: { address: string; password: string; server: string }, expectState = 'registered'): Promise<void> {
  await page.goto(`${base}/client.html`);
  await page.fill('#address', who.address);
  await page.fill('#password', who.password);
  await page.fill('#server', who.server);
  await page.press('#password', 'Enter');
  await page.waitForSelector(`#state[data-state="${expectState}"]`, { timeout: 20_000 });
}

/** Types `text` to `peer` and presses Enter; waits until the page marks it delivered. */
export async function chat(page: Page, peer: string, text: string): Promise<void> {
  await page.fill('#peer', peer);
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await page.locator('#messages li.out[data-status="delivered"]', { hasText: text }).waitFor({ timeout: 20_000 });
}

/** Waits for an incoming message with `text` in the page. */
export async function received(page: Page, text: string): Promise<string> {
  const item = page.locator('#messages li.in', { hasText: text });
  await item.waitFor({ timeout: 20_000 });
  return item.innerText();
}
