/**
 * The WebSocket client page end to end: Debian's headless Chromium loads the built client.html,
 * which registers over ws:// (RFC 7118) with digest authentication to the sipts server app
 * (in-process, free loopback ports) and chats with MESSAGE (RFC 3428): two pages both ways, a UDP
 * user (sipsak) to a page, a server restart, a wrong password. Also writes docs/client.png.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runTool } from '@sipts/test-peers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chat, ensureBuilt, launchChromium, received, serveDist, signIn, startAppServer, WEB_ROOT, type AppServer } from './client-e2e-harness.js';

const SIPSAK = '/usr/bin/sipsak';

let app: AppServer;
let web: { url: string; close(): Promise<void> };
let browser: Browser;
const contexts: BrowserContext[] = [];
const children = new Set<ChildProcess>();

/** A fresh page in its own context (its own localStorage: one user per page). */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
  contexts.push(context);
  return context.newPage();
}

const alice = () => ({ address: 'alice@localhost', password: 'alice-secret', server: app.wsUrl });
const bob = () => ({ address: 'sip:bob@localhost', password: 'bob-secret', server: app.wsUrl });

beforeAll(async () => {
  await ensureBuilt();
  web = await serveDist();
  app = await startAppServer();
  browser = await launchChromium();
}, 120_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await web?.close();
});

describe('the WebSocket client page', () => {
  it('registers alice and bob, and they chat both ways', async () => {
    const a = await newPage();
    const b = await newPage();
    const frames = { sent: [] as string[], received: [] as string[], protocols: [] as string[] };
    a.on('websocket', (ws) => {
      frames.protocols.push(ws.url());
      ws.on('framesent', (f) => frames.sent.push(String(f.payload)));
      ws.on('framereceived', (f) => frames.received.push(String(f.payload)));
    });
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    expect(await a.textContent('#state')).toBe('registered as alice@localhost');

    // On the wire (RFC 7118 §5, RFC 3261 §22, RFC 5626 §4.2.1): a challenged REGISTER answered
    // with the server's first algorithm (SHA-256), Via WS with a .invalid host, instance and reg-id.
    expect(frames.protocols).toEqual([`${app.wsUrl}/`]);
    const registers = frames.sent.filter((f) => f.startsWith('REGISTER '));
    expect(registers).toHaveLength(2);
    expect(registers[0]).toMatch(/^Via: SIP\/2\.0\/WS [a-z0-9]+\.invalid;branch=z9hG4bK\w+;rport\r$/m);
    expect(registers[0]).toMatch(/^Contact: <sip:[a-z0-9]+@[a-z0-9]+\.invalid;transport=ws>;\+sip\.instance="<urn:uuid:[0-9a-f-]{36}>";reg-id=1;expires=600\r$/m);
    expect(registers[1]).toMatch(/^Authorization: Digest .*algorithm=SHA-256/m);
    expect(frames.received.find((f) => f.startsWith('SIP/2.0 401'))).toMatch(/^WWW-Authenticate: Digest .*algorithm=SHA-256/m);
    expect(frames.received.filter((f) => f.startsWith('SIP/2.0 200') && /CSeq: \d+ REGISTER/.test(f))).toHaveLength(1);

    await chat(a, 'bob', 'Hi Bob, this is Alice over WebSocket.');
    const atBob = await received(b, 'Hi Bob, this is Alice over WebSocket.');
    expect(atBob).toContain('from alice@localhost');
    expect(await b.inputValue('#peer')).toBe('alice@localhost');

    await chat(b, 'alice@localhost', 'Hello Alice! Digest and MESSAGE work in the browser. ✓');
    expect(await received(a, 'Hello Alice! Digest and MESSAGE work in the browser. ✓')).toContain('from bob@localhost');
    // MESSAGE from a local user is challenged (407) and sent again with Proxy-Authorization.
    const messages = frames.sent.filter((f) => f.startsWith('MESSAGE sip:bob@localhost SIP/2.0'));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^Content-Type: text\/plain;charset=UTF-8\r$/m);
    expect(messages[1]).toMatch(/^Proxy-Authorization: Digest .*algorithm=SHA-256/m);
    await chat(a, 'bob', 'Great, see you.');
    await received(b, 'Great, see you.');
    expect(await a.locator('#messages li').count()).toBe(3);
    expect(await b.locator('#messages li.in').count()).toBe(2);

    // docs/client.png: both users' pages side by side, written into the repository only on
    // request (SCREENSHOTS=1 pnpm exec vitest run test/client-e2e.test.ts), like the inspector's.
    if (process.env['SCREENSHOTS'] !== '1') return;
    const shots = await Promise.all([a.screenshot(), b.screenshot()]);
    const sheet = await newPage();
    await sheet.setViewportSize({ width: 1452, height: 640 });
    await sheet.setContent(
      `<body style="margin:0;display:flex;gap:12px;background:#9ca3af">${shots.map((png) => `<img style="width:720px" src="data:image/png;base64,${png.toString('base64')}">`).join('')}</body>`,
    );
    mkdirSync(join(WEB_ROOT, 'docs'), { recursive: true });
    await sheet.screenshot({ path: join(WEB_ROOT, 'docs', 'client.png') });
  });

  // sipsak 0.9.8.1's message mode (-M) segfaults before sending anything in Debian's build (it
  // does so against any target), so sipsak sends the MESSAGE from a file in its shoot mode (-f).
  it('shows a MESSAGE that sipsak sends over UDP through the server', async () => {
    const b = await newPage();
    await signIn(b, web.url, bob());
    const local = await freePort();
    const text = 'Hello from sipsak over UDP';
    const dir = mkdtempSync(join(tmpdir(), 'sipsak-'));
    const file = join(dir, 'message.sip');
    writeFileSync(
      file,
      ['MESSAGE sip:bob@localhost SIP/2.0', 'From: <sip:carol@example.org>;tag=sipsak1', 'To: <sip:bob@localhost>', `Call-ID: sipsak-${String(local)}@127.0.0.1`, 'CSeq: 1 MESSAGE', 'Max-Forwards: 70', 'Content-Type: text/plain', `Content-Length: ${String(text.length)}`, '', text].join('\n'),
    );
    try {
      const r = await runTool(SIPSAK, ['-f', file, '-s', 'sip:bob@localhost', '-p', `127.0.0.1:${String(app.ports.udp)}`, '-l', String(local), '-H', '127.0.0.1', '-vv'], { timeoutMs: 20_000, children });
      expect(r.code, `sipsak: ${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/SIP\/2\.0 200/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await received(b, text)).toContain('from carol@example.org');
  });

  it('reconnects and registers again when the server restarts, then chats', async () => {
    const a = await newPage();
    const b = await newPage();
    const sockets: string[][] = [];
    a.on('websocket', (ws) => {
      const sent: string[] = [];
      sockets.push(sent);
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await app.stop();
    await a.waitForSelector('#state[data-state="reconnecting"]', { timeout: 10_000 });
    await app.start();
    await a.waitForSelector('#state[data-state="registered"]', { timeout: 30_000 });
    await b.waitForSelector('#state[data-state="registered"]', { timeout: 30_000 });
    await chat(a, 'bob', 'Still here after the restart?');
    await received(b, 'Still here after the restart?');
    await chat(b, 'alice', 'Yes, re-registered.');
    await received(a, 'Yes, re-registered.');
    // A new socket carried the new REGISTER: same instance, and `ob` now that the registrar said
    // it does outbound (RFC 5626 §4.2.1: the binding is replaced by instance and reg-id).
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    const instance = (f: string | undefined) => /\+sip\.instance="<(urn:uuid:[0-9a-f-]+)>"/.exec(f ?? '')?.[1];
    const first = sockets[0]!.find((f) => f.startsWith('REGISTER '));
    const again = sockets.at(-1)!.filter((f) => f.startsWith('REGISTER ')).at(-1);
    expect(instance(again)).toBe(instance(first));
    expect(again).toMatch(/^Contact: <sip:[a-z0-9]+@[a-z0-9]+\.invalid;transport=ws;ob>;/m);
  });

  it('signs out with an unregister, after which a MESSAGE to her fails in plain words', async () => {
    const a = await newPage();
    const b = await newPage();
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await a.click('#logout');
    await a.waitForSelector('#state[data-state="unregistered"]', { timeout: 10_000 });
    expect(await a.isVisible('#login')).toBe(true);
    await b.fill('#peer', 'alice');
    await b.fill('#text', 'Are you there?');
    await b.press('#text', 'Enter');
    const failed = b.locator('#messages li.out[data-status="failed"]', { hasText: 'Are you there?' });
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.innerText()).toContain('not delivered: alice@localhost is not signed in right now.');
    expect(await b.textContent('#error')).toBe('alice@localhost is not signed in right now.');
  });

  it('says "wrong password" in plain words', async () => {
    const a = await newPage();
    await signIn(a, web.url, { ...alice(), password: 'not-her-password' }, 'failed');
    expect(await a.textContent('#error')).toBe('Wrong user name or password.');
    expect(await a.isVisible('#login')).toBe(true);
  });

  it('an unknown user reads as a wrong password (the server does not tell which users exist), and a dead server is unreachable', async () => {
    const a = await newPage();
    // sipts-server challenges unknown users like known ones and refuses their credentials like a
    // wrong password (no user enumeration), so the client cannot tell them apart.
    await signIn(a, web.url, { address: 'mallory@localhost', password: 'x', server: app.wsUrl }, 'failed');
    expect(await a.textContent('#error')).toBe('Wrong user name or password.');
    const dead = await freePort();
    await signIn(a, web.url, { ...alice(), server: `ws://127.0.0.1:${String(dead)}` }, 'failed');
    expect(await a.textContent('#error')).toMatch(/^Cannot reach the server at ws:\/\/127\.0\.0\.1:\d+\. Check the address/);
  });
});
