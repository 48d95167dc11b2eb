/**
 * kamailio as a Record-Route proxy between two user agents built on createNodeUserAgent, on
 * 127.0.0.1 over UDP: the INVITE goes through kamailio (record_route, t_relay), both dialogs learn
 * the one-entry route set, and in-dialog requests from either side (re-INVITE from the caller, BYE
 * from the callee) are loose-routed through kamailio (RFC 3261 §12.2.1.1, §16.12).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, kamailioUdpHead, startKamailio as startKamailioChild, until, type Child } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../src/index.js';
import { createNodeUserAgent, type NodeUserAgent } from '../src/node/index.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n';

function config(port: number): string {
  return `${kamailioUdpHead({ port, modules: ['tm', 'sl', 'rr', 'pv', 'maxfwd', 'siputils', 'textops'] })}

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  record_route();
  t_relay();
}
`;
}

let work = '';
let kamailio: Child | undefined;
const agents: NodeUserAgent[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  await kamailio?.kill();
  kamailio = undefined;
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

async function startKamailio(): Promise<{ port: number; output: () => string }> {
  work = mkdtempSync(join(tmpdir(), 'sipts-dialog-kamailio-'));
  const port = await freePort();
  kamailio = await startKamailioChild({ dir: work, config: config(port), listens: [{ protocol: 'UDP', port }] });
  return { port, output: kamailio.output };
}

describe('kamailio as a Record-Route proxy between two @sipts/dialog user agents (UDP)', () => {
  it('the route set has kamailio; re-INVITE from the caller and BYE from the callee go through it', async () => {
    const k = await startKamailio();
    const timers = { T1: 100, T2: 800, T4: 1000 };
    const alicePort = await freePort();
    const bobPort = await freePort();
    const alice = createNodeUserAgent({ address: '127.0.0.1', udp: { port: alicePort }, tcp: false, timers, user: 'alice', outboundProxy: { protocol: 'UDP', address: '127.0.0.1', port: k.port } });
    const bob = createNodeUserAgent({ address: '127.0.0.1', udp: { port: bobPort }, tcp: false, timers, user: 'bob' });
    agents.push(alice, bob);
    await alice.start();
    await bob.start();
    let bobSession!: Promise<Session>;
    const seenByBob: string[] = [];
    bob.ua.on('invite', (call) => {
      seenByBob.push(JSON.stringify(call.request.headers['record-route'] ?? []));
      bobSession = call.accept({ body: SDP });
    });
    const aliceS = await alice.ua.invite({ to: `sip:bob@127.0.0.1:${String(bobPort)}`, body: SDP });
    const bobS = await bobSession;
    expect(seenByBob[0], k.output().slice(-2000)).toContain(String(k.port));
    expect(aliceS.dialog.routeSet).toHaveLength(1);
    expect(bobS.dialog.routeSet).toHaveLength(1);
    expect(JSON.stringify(bobS.dialog.routeSet)).toContain(String(k.port));
    const refreshed: string[] = [];
    bobS.on('refresh', (rq) => refreshed.push(rq.method));
    expect((await aliceS.reinvite({ body: SDP })).status).toBe(200);
    expect(refreshed).toEqual(['INVITE']);
    const byeSeen: string[] = [];
    aliceS.on('bye', (rq) => byeSeen.push(JSON.stringify(rq.headers.via?.map((v) => v.port))));
    expect((await bobS.bye()).status).toBe(200);
    await until(() => byeSeen.length === 1, 3000, 'the BYE at Alice');
    // The BYE reached Alice through kamailio: two Vias, kamailio's on top.
    expect(JSON.parse(byeSeen[0]!)).toEqual([k.port, bobPort]);
    expect((await aliceS.ended).reason).toBe('bye-received');
  });
});
