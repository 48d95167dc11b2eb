/**
 * baresip (Debian's baresip-core, headless) and the example B2BUA on 127.0.0.1 over UDP: baresip
 * calls through the B2BUA to a user agent built on @sipts/dialog, and that user agent calls
 * baresip through the B2BUA; the call is established on both ends (G.711 offer/answer passed
 * through) and a hang-up on one end closes the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '@sipts/dialog';
import { createNodeUserAgent, type NodeUserAgent } from '@sipts/dialog/node';
import { type Baresip, freePort, startBaresip, until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { startB2BUAApp, type B2BUAApp } from '../src/b2bua-app.js';

const SDP = 'v=0\r\no=sipts 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n';
const TIMERS = { T1: 100, T2: 800, T4: 1000 };

let work = '';
let app: B2BUAApp | undefined;
let phone: Baresip | undefined;
let ua: NodeUserAgent | undefined;

afterEach(async () => {
  await phone?.stop();
  await app?.stop();
  await ua?.stop();
  phone = undefined;
  app = undefined;
  ua = undefined;
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

const isEvent = (type: string) => (m: Record<string, unknown>) => m.event === true && m.type === type;

describe('baresip and sipts-b2bua (UDP)', () => {
  it('baresip calls through the B2BUA to our UA; baresip hangs up, our UA sees the BYE', async () => {
    work = mkdtempSync(join(tmpdir(), 'sipts-b2bua-baresip-'));
    const uaPort = await freePort();
    ua = createNodeUserAgent({ address: '127.0.0.1', udp: { port: uaPort }, tcp: false, timers: TIMERS, user: 'bob' });
    let bobSession!: Promise<Session>;
    ua.ua.on('invite', (call) => {
      bobSession = call.accept({ body: SDP });
    });
    await ua.start();
    const port = await freePort();
    app = await startB2BUAApp({ address: '127.0.0.1', port, protocol: 'udp', target: `127.0.0.1:${String(uaPort)}`, timers: TIMERS });
    phone = await startBaresip(join(work, 'baresip'), { user: 'alice', domain: '127.0.0.1', proxyPort: port });
    phone.command(`dial sip:bob@127.0.0.1:${String(port)}`);
    await phone.waitFor(isEvent('CALL_ESTABLISHED'), 10_000, 'the call to be established at baresip');
    const bob = await bobSession;
    expect(bob.sdp.remote).toContain('m=audio');
    phone.command('hangup');
    expect((await bob.ended).reason).toBe('bye-received');
    await until(() => app?.stats.ended === 1, 5000, 'both legs to end');
  });

  it('our UA calls baresip through the B2BUA; baresip answers; our BYE closes baresip\'s call', async () => {
    work = mkdtempSync(join(tmpdir(), 'sipts-b2bua-baresip-'));
    phone = await startBaresip(join(work, 'baresip'), { user: 'alice', domain: '127.0.0.1' });
    const port = await freePort();
    app = await startB2BUAApp({ address: '127.0.0.1', port, protocol: 'udp', target: `127.0.0.1:${String(phone.sipPort)}`, timers: TIMERS });
    const uaPort = await freePort();
    ua = createNodeUserAgent({ address: '127.0.0.1', udp: { port: uaPort }, tcp: false, timers: TIMERS, user: 'bob' });
    await ua.start();
    const session = ua.ua.invite({ to: `sip:alice@127.0.0.1:${String(port)}`, body: SDP, reliable: false });
    await phone.waitFor(isEvent('CALL_INCOMING'), 10_000, 'the call at baresip');
    phone.command('accept');
    const s = await session;
    expect(s.sdp.remote).toContain('m=audio');
    await phone.waitFor(isEvent('CALL_ESTABLISHED'), 10_000, 'the call to be established at baresip');
    expect((await s.bye()).status).toBe(200);
    await phone.waitFor(isEvent('CALL_CLOSED'), 10_000, 'baresip to close the call');
  });
});
