/**
 * The WebSocket client page over wss:// end to end (RFC 7118): the sipts server app listens with
 * a WSS listener whose self-signed certificate (made here with openssl) Chromium trusts by its
 * key (`--ignore-certificate-errors-spki-list`), two pages register and chat both ways, and the
 * server's bindings and the frames show the WSS transport. A second server whose certificate
 * Chromium does not trust gives the page's plain "Cannot reach the server" error.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '@sipts/test-peers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chat, ensureBuilt, launchChromium, received, serveDist, signIn, startAppServer, type AppServer } from './client-e2e-harness.js';

let dir = '';
let app: AppServer | undefined;
/** A server whose certificate Chromium is not told to trust. */
let untrusted: AppServer | undefined;
let web: { url: string; close(): Promise<void> } | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

/** A self-signed P-256 certificate for localhost and 127.0.0.1 (one day), as PEM file paths. */
async function selfSigned(name: string): Promise<{ cert: string; key: string }> {
  const files = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
  const r = await runTool(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', files.key, '-out', files.cert],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return files;
}

/** base64(SHA-256(SubjectPublicKeyInfo)): the form Chromium's SPKI allow-list takes. */
function spkiHash(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

function wssUrlOf(server: AppServer | undefined): string {
  const url = server?.wssUrl;
  if (url === undefined) throw new Error('the server has no WSS listener');
  return url;
}

/** A fresh page in its own context (its own localStorage: one user per page). */
async function newPage(): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
  contexts.push(context);
  return context.newPage();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipts-web-wss-'));
  const trusted = await selfSigned('trusted');
  const other = await selfSigned('other');
  expect(spkiHash(other.cert)).not.toBe(spkiHash(trusted.cert));
  await ensureBuilt();
  web = await serveDist();
  app = await startAppServer({ wss: trusted });
  untrusted = await startAppServer({ wss: other });
  browser = await launchChromium([`--ignore-certificate-errors-spki-list=${spkiHash(trusted.cert)}`]);
}, 120_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await untrusted?.dispose();
  await web?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the WebSocket client page over wss://', () => {
  it('registers alice and bob over WSS, and they chat both ways', async () => {
    if (web === undefined || app === undefined) throw new Error('no setup');
    const server = wssUrlOf(app);
    const a = await newPage();
    const b = await newPage();
    const frames = { urls: [] as string[], sent: [] as string[] };
    const atBob: string[] = [];
    a.on('websocket', (ws) => {
      frames.urls.push(ws.url());
      ws.on('framesent', (f) => frames.sent.push(String(f.payload)));
    });
    b.on('websocket', (ws) => ws.on('framereceived', (f) => atBob.push(String(f.payload))));
    await signIn(a, web.url, { address: 'alice@localhost', password: 'alice-secret', server });
    await signIn(b, web.url, { address: 'bob@localhost', password: 'bob-secret', server });
    expect(await a.textContent('#state')).toBe('registered as alice@localhost');

    // RFC 7118 §5: Via transport WSS; the Contact's transport parameter is `ws` for WS and WSS alike.
    expect(frames.urls).toEqual([`${server}/`]);
    // (The branch of a REGISTER sent again with credentials is the digest client's base64url token.)
    const registers = frames.sent.filter((f) => f.startsWith('REGISTER '));
    expect(registers).toHaveLength(2);
    for (const register of registers) {
      expect(register).toMatch(/^Via: SIP\/2\.0\/WSS [a-z0-9]+\.invalid;branch=z9hG4bK[\w-]+;rport\r$/m);
      expect(register).toMatch(/^Contact: <sip:[a-z0-9]+@[a-z0-9]+\.invalid;transport=ws>;/m);
    }

    // The server's side: both bindings hold the WSS flow the REGISTER came on (RFC 5626 §5.2).
    for (const aor of ['sip:alice@localhost', 'sip:bob@localhost']) {
      const bindings = await app.store.lookup(aor, Date.now());
      expect(bindings, aor).toHaveLength(1);
      expect(bindings[0]?.flow, aor).toMatchObject({ protocol: 'WSS', address: '127.0.0.1' });
      expect(bindings[0]?.source, aor).toMatch(/^WSS:/i);
    }

    await chat(a, 'bob', 'Hi Bob, this is Alice over wss://.');
    expect(await received(b, 'Hi Bob, this is Alice over wss://.')).toContain('from alice@localhost');
    await chat(b, 'alice', 'Hello Alice, TLS and all. ✓');
    expect(await received(a, 'Hello Alice, TLS and all. ✓')).toContain('from bob@localhost');

    // The MESSAGE bob got: the server's Via names the WSS listener it sent from, alice's the WSS she used.
    const message = atBob.find((f) => f.startsWith('MESSAGE ') && f.includes('this is Alice over wss://'));
    const port = new URL(server).port;
    expect(message).toMatch(new RegExp(`^Via: SIP/2\\.0/WSS 127\\.0\\.0\\.1:${port};`, 'm'));
    expect(message).toMatch(/^Via: SIP\/2\.0\/WSS [a-z0-9]+\.invalid;/m);
    expect(message).not.toMatch(/^Via: SIP\/2\.0\/WS /m);
  });

  it('says it cannot reach a wss:// server whose certificate the browser does not trust', async () => {
    if (web === undefined || untrusted === undefined) throw new Error('no setup');
    const server = wssUrlOf(untrusted);
    const a = await newPage();
    let opened = 0;
    a.on('websocket', () => (opened += 1));
    await signIn(a, web.url, { address: 'alice@localhost', password: 'alice-secret', server }, 'failed');
    expect(await a.textContent('#error')).toBe(`Cannot reach the server at ${server}. Check the address and that the server is running.`);
    expect(await a.isVisible('#login')).toBe(true);
    expect(opened).toBeGreaterThanOrEqual(1);
    // The TLS handshake failed: no REGISTER reached that server.
    expect(await untrusted.store.lookup('sip:alice@localhost', Date.now())).toHaveLength(0);
  });
});
