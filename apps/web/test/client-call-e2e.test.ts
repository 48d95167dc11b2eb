/**
 * Browser-to-browser audio calls end to end: two pages of the built client.html in Debian's
 * headless Chromium (fake microphone, permission granted) register with the sipts server app
 * (in-process, free loopback ports) over ws:// and call each other through it: INVITE with the
 * caller's WebRTC offer, 180, 200 with the callee's answer, ACK, RTP both ways, BYE from either side.
 *
 * Loopback only: Chromium gathers loopback host candidates with --allow-loopback-in-peer-connection,
 * and an init script strips every other candidate from the SDP the pages hand to SIP, so each
 * page's offer or answer names 127.0.0.1/::1 only (the machine's other addresses never leave it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocket } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBuilt, launchChromium, serveDist, signIn, startAppServer, type AppServer } from './client-e2e-harness.js';
import { bytesReceived, CALL_FLAGS, keepLoopbackCandidates, twoPagesSheet } from './client-call-helpers.js';

let app: AppServer;
let web: { url: string; close(): Promise<void> };
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 720, height: 560 }, permissions: ['microphone'] });
  contexts.push(context);
  const page = await context.newPage();
  await page.addInitScript(keepLoopbackCandidates);
  return page;
}

/** SIP frames a page sends and receives on its WebSocket. */
function record(page: Page): { sent: string[]; received: string[] } {
  const frames = { sent: [] as string[], received: [] as string[] };
  page.on('websocket', (ws: WebSocket) => {
    ws.on('framesent', (f) => frames.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.received.push(String(f.payload)));
  });
  return frames;
}

const alice = () => ({ address: 'alice@localhost', password: 'alice-secret', server: app.wsUrl });
const bob = () => ({ address: 'bob@localhost', password: 'bob-secret', server: app.wsUrl });

beforeAll(async () => {
  await ensureBuilt();
  web = await serveDist();
  app = await startAppServer();
  browser = await launchChromium(CALL_FLAGS);
}, 120_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await web?.close();
});

/** alice calls bob, bob accepts; both pages end up connected. */
async function connect(a: Page, b: Page): Promise<void> {
  await a.fill('#callee', 'bob');
  await a.click('#call-button');
  await b.waitForSelector('#incoming:not([hidden])', { timeout: 20_000 });
  expect(await b.textContent('#incoming-text')).toBe('Incoming call from alice@localhost');
  await a.waitForSelector('#call-state[data-state="ringing"]', { timeout: 20_000 });
  await b.click('#accept');
  await a.waitForSelector('#call-state[data-state="connected"]', { timeout: 30_000 });
  await b.waitForSelector('#call-state[data-state="connected"]', { timeout: 30_000 });
}

describe('audio calls between two browser pages through the server', () => {
  it('the client bundle holds @sipts/dialog and WebRTC, and imports no node: module', () => {
    const assets = join(inject('webDist'), 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8'));
    const client = js.filter((code) => code.includes('RTCPeerConnection'));
    expect(client).toHaveLength(1);
    expect(client[0]).toContain('a reliable provisional waits for its PRACK'); // @sipts/dialog's IncomingCall
    for (const code of js) expect(code).not.toMatch(/["'`]node:[a-z_/]+["'`]/);
  });

  it('signing out during a call sends BYE first: the other page ends the call', async () => {
    const a = await newPage();
    const b = await newPage();
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await connect(a, b);
    await a.click('#logout');
    await b.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    expect(await b.textContent('#call-state')).toBe('alice@localhost hung up.');
    await a.waitForSelector('#state[data-state="unregistered"]', { timeout: 20_000 });
  });
  it('alice calls bob, RTP flows both ways, alice hangs up and both pages end the call', async () => {
    const a = await newPage();
    const b = await newPage();
    const fa = record(a);
    const fb = record(b);
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await connect(a, b);
    expect(await a.textContent('#call-state')).toBe('in a call with bob@localhost');
    expect(await b.textContent('#call-state')).toBe('in a call with alice@localhost');

    // Signalling on the wire: INVITE (challenged 407, sent again), 180, 200 with SDP, ACK.
    const invites = fa.sent.filter((f) => f.startsWith('INVITE sip:bob@localhost SIP/2.0'));
    expect(invites).toHaveLength(2);
    expect(invites[1]).toMatch(/^Proxy-Authorization: Digest /m);
    expect(invites[1]).toMatch(/^Content-Type: application\/sdp\r$/m);
    expect(invites[1]).toMatch(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/m);
    expect(invites[1]).not.toMatch(/^a=candidate:\S+ \d+ \w+ \d+ (?!127\.0\.0\.1 |::1 )/m);
    expect(fb.received.some((f) => f.startsWith('INVITE sip:'))).toBe(true);
    expect(fb.sent.some((f) => f.startsWith('SIP/2.0 180 '))).toBe(true);
    const ok = fb.sent.find((f) => f.startsWith('SIP/2.0 200 ') && /CSeq: \d+ INVITE/.test(f));
    expect(ok).toMatch(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/m);
    expect(ok).not.toMatch(/^a=candidate:\S+ \d+ \w+ \d+ (?!127\.0\.0\.1 |::1 )/m);
    expect(fa.sent.some((f) => f.startsWith('ACK sip:'))).toBe(true);
    expect(fb.received.some((f) => f.startsWith('ACK sip:'))).toBe(true);

    // Media: each page's inbound-rtp audio counts bytes (read by the page itself, shown in the panel).
    expect(await bytesReceived(a)).toBeGreaterThan(0);
    expect(await bytesReceived(b)).toBeGreaterThan(0);

    if (process.env['SCREENSHOTS'] === '1') await twoPagesSheet(await newPage(), [a, b]);

    await a.click('#hang-up');
    await a.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    await b.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    expect(await a.textContent('#call-state')).toBe('Call ended.');
    expect(await b.textContent('#call-state')).toBe('alice@localhost hung up.');
    expect(fa.sent.some((f) => f.startsWith('BYE sip:'))).toBe(true);
    expect(fb.received.some((f) => f.startsWith('BYE sip:'))).toBe(true);
    expect(fb.sent.some((f) => f.startsWith('SIP/2.0 200 ') && /CSeq: \d+ BYE/.test(f))).toBe(true);
  });

  it('the callee hangs up: BYE from bob ends the call on both pages, and they can call again', async () => {
    const a = await newPage();
    const b = await newPage();
    const fb = record(b);
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await connect(a, b);
    expect(await bytesReceived(a)).toBeGreaterThan(0);
    expect(await bytesReceived(b)).toBeGreaterThan(0);
    await b.click('#hang-up');
    await b.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    await a.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    expect(await a.textContent('#call-state')).toBe('bob@localhost hung up.');
    expect(fb.sent.some((f) => f.startsWith('BYE sip:'))).toBe(true);
    await connect(a, b);
    await a.click('#hang-up');
    await b.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
  });

  it('bob declines: alice reads it in plain words', async () => {
    const a = await newPage();
    const b = await newPage();
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await a.fill('#callee', 'bob');
    await a.click('#call-button');
    await b.waitForSelector('#incoming:not([hidden])', { timeout: 20_000 });
    await b.click('#decline');
    await a.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    expect(await a.textContent('#call-state')).toBe('bob@localhost declined the call.');
    expect(await b.textContent('#call-state')).toBe('Declined the call from alice@localhost.');
  });

  it('alice hangs up while bob’s page rings: CANCEL, and bob sees a missed call', async () => {
    const a = await newPage();
    const b = await newPage();
    const fa = record(a);
    await signIn(a, web.url, alice());
    await signIn(b, web.url, bob());
    await a.fill('#callee', 'bob');
    await a.click('#call-button');
    await b.waitForSelector('#incoming:not([hidden])', { timeout: 20_000 });
    await a.waitForSelector('#call-state[data-state="ringing"]', { timeout: 20_000 });
    await a.click('#hang-up');
    await b.waitForSelector('#call-state[data-state="idle"]', { timeout: 20_000 });
    expect(await b.textContent('#call-state')).toBe('Missed call from alice@localhost.');
    expect(fa.sent.some((f) => f.startsWith('CANCEL sip:'))).toBe(true);
  });
});
