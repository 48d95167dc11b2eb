/**
 * What the call end-to-end tests add to the client harness: Chromium's media flags, the init
 * script that keeps loopback candidates only, waiting for received audio, and the screenshot of
 * two pages in a call (docs/call.png).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { WEB_ROOT } from './client-e2e-harness.js';

/**
 * A fake microphone (a beep), the permission prompt answered yes, and loopback host candidates
 * gathered (Chromium leaves 127.0.0.1 and ::1 out of ICE by default).
 */
export const CALL_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'];

/**
 * Runs in each page before its scripts: the SDP a page reads from its RTCPeerConnection (what it
 * puts in INVITE and 200) keeps only candidates on 127.0.0.1 or ::1.
 */
export function keepLoopbackCandidates(): void {
  const proto = RTCPeerConnection.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'localDescription');
  const get = original?.get;
  if (get === undefined) return;
  Object.defineProperty(proto, 'localDescription', {
    configurable: true,
    get(this: RTCPeerConnection) {
      const d = get.call(this) as RTCSessionDescription | null;
      if (d === null) return d;
      const sdp = d.sdp
        .split('\r\n')
        .filter((line) => !line.startsWith('a=candidate:') || / (127\.0\.0\.1|::1) \d+ typ /.test(line))
        .join('\r\n');
      return { type: d.type, sdp, toJSON: () => ({ type: d.type, sdp }) };
    },
  });
}

/**
 * Waits until the page's call panel reports received audio bytes above zero (the page reads its
 * inbound-rtp stats every second while connected); resolves with the count.
 */
export async function bytesReceived(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    () => {
      const n = Number(document.querySelector<HTMLElement>('#call-audio')?.dataset['bytes'] ?? '0');
      return n > 0 ? n : false;
    },
    undefined,
    { timeout: 30_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** Puts screenshots of `pages` side by side on `sheet` and writes docs/call.png. */
export async function twoPagesSheet(sheet: Page, pages: Page[]): Promise<void> {
  const shots = await Promise.all(pages.map((p) => p.screenshot()));
  await sheet.setViewportSize({ width: 1452, height: 560 });
  await sheet.setContent(`<body style="margin:0;display:flex;gap:12px;background:#9ca3af">${shots.map((png) => `<img style="width:720px" src="data:image/png;base64,${png.toString('base64')}">`).join('')}</body>`);
  mkdirSync(join(WEB_ROOT, 'docs'), { recursive: true });
  await sheet.screenshot({ path: join(WEB_ROOT, 'docs', 'call.png') });
}
