/**
 * The inspector with real captures, end to end: the built page in Debian's headless Chromium
 * (playwright-core). Each fixture (test/fixtures/captures/, tcpdump/tshark files) is opened, and
 * the calls, the ladder's arrows (count, direction, labels) and the messages are checked against
 * what tshark's own SIP dissector reports for the same file. Then: an arrow opens its message,
 * the ladder exports as SVG and PNG, the filters, a dropped file, a damaged file, and 100,000
 * messages (time to the first list and to the full load printed, not asserted).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appDir, openInspector, type InspectorHarness } from './inspector-page.js';
import { enc, ipv4, pcap, sipRequest, sipResponse, udp, type Packet } from './pcap/builder.js';
import { hasTshark, tsharkSip, type TsharkRow } from './pcap/tshark.js';

const dir = resolve(appDir, 'test/fixtures/captures');
const FIXTURES = ['baresip-udp-ipv4.pcap', 'kamailio-ws.pcap', 'sipp-tcp-ipv4-ns.pcap', 'sipp-tcp-ipv4.pcapng', 'sipp-udp-ipv4.pcap', 'sipp-udp-ipv6-sll2.pcap', 'tshark-sipsak.pcapng'];

let h: InspectorHarness;
let tmp: string;

beforeAll(async () => {
  h = await openInspector();
  tmp = mkdtempSync(join(tmpdir(), 'sipts-inspector-'));
});

afterAll(async () => {
  await h.close();
  rmSync(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  await h.reload();
});

async function open(file: string): Promise<void> {
  await h.page.locator('#file').setInputFiles(file);
  await h.page.waitForSelector('body[data-capture="ready"]', { timeout: 120_000 });
}

interface Arrow {
  label: string;
  from: string;
  to: string;
  retransmission: boolean;
  index: number;
}

/** The ladder as drawn: each arrow's label and the columns its line starts and its head ends at. */
async function ladder(): Promise<Arrow[]> {
  return h.page.locator('#ladder svg').evaluate((svg) => {
    const hosts = Array.from(svg.querySelectorAll('text.host'), (t) => ({ x: Number(t.getAttribute('x')), label: t.textContent }));
    const at = (x: number): string => hosts.reduce((best, c) => (Math.abs(c.x - x) < Math.abs(best.x - x) ? c : best)).label ?? '';
    return Array.from(svg.querySelectorAll('g.arrow'), (g) => {
      const line = g.querySelector('line');
      const tip = Number((g.querySelector('polygon')?.getAttribute('points') ?? '0,0').split(/[ ,]/)[0]);
      return {
        label: g.querySelector('text.label')?.textContent ?? '',
        from: at(Number(line?.getAttribute('x1'))),
        to: at(tip),
        retransmission: g.classList.contains('retransmission'),
        index: Number(g.getAttribute('data-index')),
      };
    });
  });
}

/** tshark's rows grouped by Call-ID, in order of each call's first message. */
function byCall(rows: TsharkRow[]): TsharkRow[][] {
  const m = new Map<string, TsharkRow[]>();
  for (const r of rows) m.set(r.callId, [...(m.get(r.callId) ?? []), r]);
  return [...m.values()];
}

describe('the inspector with pcap and pcapng captures, in headless Chromium', () => {
  it.runIf(hasTshark).each(FIXTURES)('shows the calls and ladders of %s as tshark reads it', async (name) => {
    const file = join(dir, name);
    const rows = tsharkSip(file);
    await open(file);
    expect(await h.page.locator('body').getAttribute('data-capture-messages')).toBe(String(rows.length));
    const calls = byCall(rows);
    expect(await h.page.locator('#calls li').count()).toBe(calls.length);
    for (const [i, want] of calls.entries()) {
      await h.page.locator(`#call-${i}`).click();
      await expect.poll(() => h.page.locator('body').getAttribute('data-arrows')).toBe(String(want.length));
      const arrows = await ladder();
      expect(arrows.map((a) => ({ label: a.label.split(' ')[0], from: a.from, to: a.to, resend: a.retransmission }))).toEqual(want.map((r) => ({ label: r.label, from: r.src, to: r.dst, resend: r.resend })));
      // The list holds the same messages in the same order.
      expect(await h.page.locator('#messages li').count()).toBe(want.length);
    }
    expect(h.errors).toEqual([]);
  });

  it('opens the message of a clicked arrow, moves with j/k in the ladder, and exports SVG and PNG', async () => {
    await open(join(dir, 'sipp-udp-ipv6-sll2.pcap'));
    await h.page.locator('#call-1').click();
    const arrows = await ladder();
    expect(arrows.map((a) => a.label)).toEqual(['INVITE', '100 Trying', '486 Busy Here', '486 Busy Here (retransmission)', 'ACK']);
    await h.page.locator(`#arrow-${arrows[2]!.index}`).click();
    await expect.poll(() => h.page.locator('#where').textContent()).toMatch(/ · frame 9 · .* · \[::1\]:15067 → \[::1\]:15066 over UDP · \d+ bytes$/);
    expect(await h.page.locator('#start-line dl').textContent()).toContain('486');
    await expect.poll(() => h.page.locator(`#arrow-${arrows[2]!.index}`).getAttribute('class')).toMatch(/selected/);
    await h.page.keyboard.press('j');
    await expect.poll(() => h.page.locator('#where').textContent()).toMatch(/ · frame 10 · .* · retransmission$/);
    await h.page.keyboard.press('Home');
    await expect.poll(() => h.page.locator('#where').textContent()).toMatch(/ · frame 7 · /);

    const [svgDownload] = await Promise.all([h.page.waitForEvent('download'), h.page.locator('#export-svg').click()]);
    expect(svgDownload.suggestedFilename()).toBe('call-2.svg');
    const svg = readFileSync(await svgDownload.path(), 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<g class="arrow /g)).toHaveLength(5);
    expect(svg).toContain('486 Busy Here (retransmission)');
    expect(svg).not.toMatch(/class="[^"]*\bselected\b/);
    const [pngDownload] = await Promise.all([h.page.waitForEvent('download'), h.page.locator('#export-png').click()]);
    expect(pngDownload.suggestedFilename()).toBe('call-2.png');
    const png = readFileSync(await pngDownload.path());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(500);
    expect(h.errors).toEqual([]);
  });

  it('lists calls with From, To, state and duration, and filters them', async () => {
    await open(join(dir, 'sipp-udp-ipv6-sll2.pcap'));
    const details = await h.page.locator('#calls li .meta:not(.extra)').allTextContents();
    expect(details.map((d) => d.split(' · ').slice(0, 2).join(' · '))).toEqual(['answered · 6 messages in 3 transactions', 'busy (486) · 5 messages in 2 transactions']);
    // Each message says which transaction of its call it belongs to.
    expect((await h.page.locator('#messages li .extra').allTextContents()).map((t) => /transaction (\d+)/.exec(t)?.[1])).toEqual(['1', '1', '1', '2', '3', '3']);
    expect(await h.page.locator('#calls li .title').first().textContent()).toMatch(/^INVITE sipp <sip:sipp@\[?::1\]?(?::\d+)?> → /);
    await h.page.locator('#filter-status').selectOption('4');
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(1);
    expect(await h.page.locator('#messages li .title').allTextContents()).toEqual(['486 Busy Here', '486 Busy Here']);
    await h.page.locator('#filter-status').selectOption('');
    await h.page.locator('#filter-method').selectOption('BYE');
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(1);
    await h.page.locator('#filter-method').selectOption('');
    await h.page.locator('#filter-address').fill('15067');
    await expect.poll(() => h.page.locator('#calls-note').textContent()).toMatch(/^1 call, 11 messages/);
    await h.page.locator('#filter-address').fill('');
    await h.page.locator('#filter-text').fill('busy here');
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(1);
    await h.page.locator('#filter-text').fill('');
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(2);
    const callId = (await h.page.locator('#calls li .extra').first().textContent())!.split('Call-ID ')[1]!;
    await h.page.locator('#filter-callid').fill(callId);
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(1);
    await h.page.locator('#filter-callid').fill('');
    await h.page.locator('#all-messages').check();
    await expect.poll(() => h.page.locator('#messages li').count()).toBe(11);
  });

  it('opens a dropped capture, and keeps what it read before a damaged part', async () => {
    const bytes = readFileSync(join(dir, 'sipp-udp-ipv4.pcap'));
    const cut = bytes.subarray(0, bytes.length - 100);
    const dataTransfer = await h.page.evaluateHandle((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'cut.pcap', { type: 'application/vnd.tcpdump.pcap' }));
      return dt;
    }, Array.from(cut));
    await h.page.dispatchEvent('#source', 'drop', { dataTransfer });
    await h.page.waitForSelector('body[data-capture="ready"]');
    const status = (await h.page.locator('#status').textContent()) ?? '';
    expect(status).toMatch(/^11 SIP messages in 11 packets of cut\.pcap \(pcap\).* The file is damaged: a packet is cut short at byte \d+; everything before it is shown\.$/);
    expect(await h.page.locator('body').getAttribute('data-capture-messages')).toBe('11');
  });

  it('fetches nothing but its own files while reading a capture', async () => {
    await open(join(dir, 'kamailio-ws.pcap'));
    expect(h.requests.filter((u) => !u.startsWith(`${h.origin}/`))).toEqual([]);
    expect(h.requests.some((u) => /capture-worker-[\w-]+\.js$/.test(u))).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it('loads 100,000 messages in a worker and stays responsive', { timeout: 300_000 }, async () => {
    const calls = 25_000;
    const packets: Packet[] = [];
    const t0 = Date.UTC(2026, 11, 5, 12);
    for (let c = 0; c < calls; c++) {
      const o = { callId: `load-${c}@127.0.0.1`, branch: `z9hG4bK-${c}` };
      const texts = [sipRequest('INVITE', o), sipResponse(200, 'OK', 'INVITE', { ...o, toTag: 'b' }), sipRequest('ACK', { ...o, branch: `z9hG4bK-a${c}` }), sipRequest('BYE', { ...o, cseq: 2, branch: `z9hG4bK-b${c}` })];
      texts.forEach((t, i) => {
        const back = i === 1;
        packets.push({ time: t0 + c * 10 + i, data: ipv4({ src: back ? '127.0.0.2' : '127.0.0.1', dst: back ? '127.0.0.1' : '127.0.0.2', protocol: 17, payload: udp(back ? 5060 : 5061, back ? 5061 : 5060, enc(t)) }) });
      });
    }
    const file = join(tmp, 'load.pcap');
    writeFileSync(file, pcap(101, packets));
    const started = performance.now();
    await h.page.locator('#file').setInputFiles(file);
    await h.page.waitForSelector('body[data-first-list-ms]', { timeout: 120_000 });
    const firstSeen = performance.now() - started;
    // Responsive while the worker reads: a click on a listed message is answered.
    await h.page.locator('#messages li').nth(1).click();
    await h.page.waitForSelector('body[data-capture="ready"]', { timeout: 240_000 });
    const all = performance.now() - started;
    const first = Number(await h.page.locator('body').getAttribute('data-first-list-ms'));
    const load = Number(await h.page.locator('body').getAttribute('data-load-ms'));
    console.info(
      `inspector: 100,000-message pcap (${readFileSync(file).length} bytes): first list ${first.toFixed(0)} ms, full load ${load.toFixed(0)} ms in the page; ` +
        `seen by Playwright ${firstSeen.toFixed(0)} ms / ${all.toFixed(0)} ms`,
    );
    expect(await h.page.locator('body').getAttribute('data-capture-messages')).toBe('100000');
    expect(await h.page.locator('body').getAttribute('data-calls')).toBe(String(calls));
    expect(await h.page.locator('#calls li').count()).toBe(2000);
    await h.page.locator('#filter-callid').fill('load-24999@');
    await expect.poll(() => h.page.locator('#calls li').count()).toBe(1);
    await expect.poll(() => h.page.locator('body').getAttribute('data-arrows')).toBe('4');
  });

  it('takes the README screenshot of a ladder', async () => {
    await h.page.setViewportSize({ width: 1280, height: 1300 });
    await open(join(dir, 'sipp-udp-ipv6-sll2.pcap'));
    await h.page.locator('#call-1').click();
    await h.page.locator('#ladder .arrow').nth(2).click();
    const png = await h.page.screenshot({ fullPage: false });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    if (process.env['SCREENSHOTS'] === '1') writeFileSync(resolve(appDir, 'docs/inspector-ladder.png'), png);
  });
});
