/**
 * The classic package's websocket-proxy example (apps/websocket-proxy.cjs) on the facade's proxy
 * module: a UA written here with the `ws` package registers over WebSocket with SIP outbound; a
 * sipp UAC calls it over UDP, and the INVITE reaches it through its WebSocket flow; the 180 and 200
 * go back to sipp, and the ACK and BYE follow the Record-Routed flows to the WebSocket UA. A call
 * for a user with no binding gets 404.
 * @see RFC 7118 (SIP over WebSocket), RFC 5626 §5.3 and §6 (flow tokens, outbound registrar), RFC 3261 §16
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, waitForTcp, type App } from './harness/app.js';
import { CLASSIC, ensureFacadeBuilt } from './harness/impl.js';
import { killPeers, runSipp } from './harness/sipp.js';
import { inviteText, sendUdp } from './harness/udp.js';
import { connectWs, wsRegister, type WsClient } from './harness/ws-client.js';
import { addrUri, header, type WireMessage } from './harness/wire.js';

/** Whether a final response (2xx to 6xx) has come back. */
const hasFinal = (replies: readonly WireMessage[]): boolean => replies.some((r) => r.status !== undefined && r.status >= 200);

/** The caller sits on another loopback address than the proxy. */
const CALLER_IP = '127.0.0.2';

describe('classic example: WebSocket proxy with outbound registrations', () => {
  let app: App | undefined;
  let ua: WsClient | undefined;
  let port = 0;
  let wsPort = 0;

  beforeAll(() => {
    ensureFacadeBuilt();
  }, 200_000);

  beforeAll(async () => {
    port = await freePort();
    wsPort = await freePort();
    app = await startApp('websocket-proxy', { SIP_PORT: String(port), WS_PORT: String(wsPort) }, port);
    await waitForTcp(wsPort);
  });

  afterAll(async () => {
    await ua?.close();
    killPeers();
    await app?.stop();
  });

  it('registers a WebSocket UA with outbound: 200 with its binding and Require: outbound', async () => {
    ua = await connectWs(wsPort);
    expect(ua.protocol).toBe('sip'); // RFC 7118 §4: the server picks the `sip` subprotocol
    const callId = `${randomBytes(8).toString('hex')}@${ua.host}`;
    const ok = await ua.request(wsRegister(ua, { port, user: 'wendy', callId }));
    expect(ok.startLine, app!.output()).toBe('SIP/2.0 200 OK');
    expect(header(ok, 'contact').map(addrUri)).toEqual([`sip:wendy@${ua.host};transport=ws`]);
    expect(header(ok, 'contact')[0]).toMatch(/expires=300/);
    expect(header(ok, 'require').join(',')).toMatch(/\boutbound\b/);
    expect(header(ok, 'to')[0]).toMatch(/;tag=/);
    await expect.poll(() => app!.events()).toContainEqual({ method: 'REGISTER', user: 'wendy', protocol: 'WS', status: 200, bindings: 1, outbound: true });
  });

  it('registers a UA without outbound parameters: 200 with its binding, no Require header', async () => {
    const c = await connectWs(wsPort);
    try {
      const ok = await c.request(wsRegister(c, { port, user: 'otto', callId: `${randomBytes(8).toString('hex')}@${c.host}`, outbound: false, expires: 120 }));
      expect(ok.startLine, app!.output()).toBe('SIP/2.0 200 OK');
      expect(header(ok, 'contact').map(addrUri)).toEqual([`sip:otto@${c.host};transport=ws`]);
      expect(header(ok, 'require')).toEqual([]);
      expect(ok.text).not.toMatch(/undefined/);
    } finally {
      await c.close();
    }
  });

  it('proxies a call from sipp (UDP) to the WebSocket UA through its flow, and the in-dialog ACK and BYE too', async () => {
    expect(ua, 'the UA registered in the previous test').toBeDefined();
    const client = ua!;
    client.onRequest((rq) => {
      if (rq.method === 'INVITE') {
        const contact = `Contact: <sip:wendy@${client.host};transport=ws>`;
        client.send(client.response(rq, 180, 'Ringing', [contact]));
        client.send(client.response(rq, 200, 'OK', [contact]));
      } else if (rq.method === 'BYE') {
        client.send(client.response(rq, 200, 'OK'));
      }
    });
    const call = await runSipp('call-uac', { remote: `127.0.0.1:${port}`, service: 'wendy', localIp: CALLER_IP });
    expect(call.code, `${call.tail}\n${app!.output()}\n${client.received.map((m) => m.text).join('\n')}`).toBe(0);
    expect(call.successful).toBe(1);

    const requests = client.received.filter((m) => m.status === undefined);
    expect(requests.map((m) => m.method)).toEqual(['INVITE', 'ACK', 'BYE']);
    const invite = requests[0]!;
    // The request URI is the registered Contact; the proxy's Via is on top of sipp's.
    expect(invite.startLine).toBe(`INVITE sip:wendy@${client.host};transport=ws SIP/2.0`);
    const vias = header(invite, 'via').flatMap((v) => v.split(/,(?=\s*SIP\/)/));
    expect(vias).toHaveLength(2);
    expect(vias[0]).toMatch(/^SIP\/2\.0\/WSS? /i);
    expect(vias[1]).toContain(`${CALLER_IP}:${call.localPort}`);
    // Record-Routed through both flows (the caller's and the UA's), so the dialog stays on the proxy.
    const recordRoute = header(invite, 'record-route').flatMap((v) => v.split(/,(?=\s*<)/));
    expect(recordRoute).toHaveLength(2);
    for (const rr of recordRoute) expect(rr).toMatch(/;lr\b/);
    // The caller saw the UA's answer with the same route set.
    const ok = call.received.find((m) => m.status === 200 && m.method === 'INVITE')!;
    expect(header(ok, 'record-route').flatMap((v) => v.split(/,(?=\s*<)/))).toEqual(recordRoute);
    expect(header(ok, 'via').flatMap((v) => v.split(/,(?=\s*SIP\/)/))).toHaveLength(1);
    // The ACK and the BYE came over the WebSocket with the UA's Contact as request URI.
    for (const rq of requests.slice(1)) expect(rq.startLine).toMatch(new RegExp(`^(ACK|BYE) sip:wendy@${client.host.replace('.', '\\.')};transport=ws SIP/2\\.0$`));
    expect(header(requests[2]!, 'call-id')).toEqual(header(invite, 'call-id'));
    await expect.poll(() => app!.events().filter((e) => e.inDialog === true).map((e) => [e.method, e.protocol])).toEqual([
      ['ACK', 'UDP'],
      ['BYE', 'UDP'],
    ]);
  });

  it('answers a call for a UA whose WebSocket has closed with 430 Flow Failed, at once', async () => {
    await ua!.close();
    // Let the proxy see the close. (Right at the close, the facade has been seen answering
    // 500 Server Internal Error instead: reported, not asserted here.)
    await new Promise((r) => setTimeout(r, 300));
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const replies = await sendUdp(port, (local) => inviteText({ port, localPort: local, user: 'wendy', branch }), { until: hasFinal });
    // The same final response may come more than once: the INVITE server transaction retransmits it
    // until an ACK (RFC 3261 §17.2.1), and this caller sends none.
    const finals = replies.filter((r) => r.status !== undefined && r.status >= 200);
    expect(finals.length, app!.output()).toBeGreaterThan(0);
    expect(new Set(finals.map((r) => r.status)), app!.output()).toEqual(new Set([430]));
    // The classic package synthesizes it with an empty reason phrase.
    if (!CLASSIC) expect(finals[0]!.startLine).toBe('SIP/2.0 430 Flow Failed');
  });

  // The classic package crashes here (an uncaught "WebSocket is not open: readyState 2 (CLOSING)"
  // thrown from its transaction's send, which ends the process), so the classic run skips it.
  it.skipIf(CLASSIC)('answers 430, never 500, to calls for UAs whose WebSocket closed just before (5 UAs)', async () => {
    const statuses: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const user = `gone${i}`;
      const c = await connectWs(wsPort);
      const ok = await c.request(wsRegister(c, { port, user, callId: `${randomBytes(8).toString('hex')}@${c.host}` }));
      expect(ok.status).toBe(200);
      await c.close();
      const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
      const replies = await sendUdp(port, (local) => inviteText({ port, localPort: local, user, branch }), { until: hasFinal });
      statuses.push(replies.find((r) => r.status !== undefined && r.status >= 200)?.status);
    }
    // RFC 5626 §5.3: a request for a failed flow gets 430 (Flow Failed).
    expect(statuses, app!.output()).toEqual([430, 430, 430, 430, 430]);
  });

  it('answers 404 to a call for a user with no binding', async () => {
    const run = await runSipp('invite-404', { remote: `127.0.0.1:${port}`, service: 'nobody', localIp: CALLER_IP });
    expect(run.code, `${run.tail}\n${app!.output()}`).toBe(0);
    await expect.poll(() => app!.events()).toContainEqual({ method: 'INVITE', user: 'nobody', status: 404 });
  });
});
