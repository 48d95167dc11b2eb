/**
 * Edge cases of the proxy core on 127.0.0.1: a 2xx retransmission after the proxy's client
 * transaction ended (forwarded statelessly), a strict router's rewrite undone (§16.4), a
 * transport failure on the only branch (503 → 500), and the context timeout guard (408).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { makeResponse, parseMessage, stringifyMessage, stringifyUri, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { drainAndStop, newRequest, portOf, startProxy, startStack, startUas, until, uriOf } from './helpers.js';

afterEach(async () => {
  await drainAndStop();
});

/** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
async function deadTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** T1 of 10 ms: Timer M (and L) is 640 ms, so INVITE transactions over UDP end within the test. */
const FAST = { T1: 10, T2: 400, T4: 500 };

describe('proxy edge cases', () => {
  it('forwards a 2xx retransmission that arrives after its client transaction ended (§16.7, RFC 6026)', async () => {
    // A raw UDP socket as the UAS: it answers the first INVITE 200 and can resend that 200 later.
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    try {
      const uasPort = socket.address().port;
      let ok: { text: string; port: number } | undefined;
      const invites: SipRequest[] = [];
      socket.on('message', (m, rinfo) => {
        const rq = parseMessage(new Uint8Array(m));
        if ('status' in rq || rq.method !== 'INVITE') return;
        invites.push(rq);
        if (ok !== undefined) return; // an INVITE retransmission: the 200 is on its way
        const rs = makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact: [{ uri: `sip:bob@127.0.0.1:${String(uasPort)}`, params: {} }] } });
        ok = { text: stringifyMessage(rs), port: rinfo.port };
        socket.send(ok.text, rinfo.port, '127.0.0.1');
      });
      const strays: SipResponse[] = [];
      const uac = await startStack({ timers: FAST, onStrayResponse: (rs) => strays.push(rs) });
      const p = await startProxy({ timers: FAST }, (proxy, rq) => {
        proxy.send(rq, { targets: [`sip:bob@127.0.0.1:${String(uasPort)}`] });
      });
      const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack);
      const first = await uac.send(invite).final;
      expect(first.status).toBe(200);
      expect(invites.length).toBeGreaterThanOrEqual(1);
      expect(invites[0]!.headers.via).toHaveLength(2);
      // Timer M ends the proxy's client transaction (and the UAC's); the context is gone too.
      await until(() => p.proxy.contexts === 0 && p.stack.transactions === 0 && uac.transactions === 0, 5000, 'every transaction ended');
      expect(strays).toHaveLength(0);
      // The UAS retransmits its 200: the proxy has no transaction for it and forwards it statelessly.
      const resend = ok!;
      socket.send(resend.text, resend.port, '127.0.0.1');
      await until(() => strays.length === 1, 3000, 'the 200 retransmission at the UAC');
      const late = strays[0]!;
      expect(late.status).toBe(200);
      expect(late.headers['call-id']).toBe(invite.headers['call-id']);
      expect(late.headers.to?.params.tag).toBe(first.headers.to?.params.tag);
      // The proxy's own Via was removed: only the UAC's is left.
      expect(late.headers.via).toHaveLength(1);
      expect(late.headers.via![0]!.params.branch).toBe(first.headers.via![0]!.params.branch);
      expect(p.proxy.contexts).toBe(0);
    } finally {
      socket.close();
    }
  });

  it('undoes a strict router’s rewrite: the last Route becomes the Request-URI (§16.4)', async () => {
    const uas = await startUas(undefined, 'TCP');
    const seen: SipRequest[] = [];
    const p = await startProxy({}, (proxy, rq) => {
      seen.push(rq);
      proxy.send(rq); // follow the Route / Request-URI
    });
    const uac = await startStack();
    const proxyTcp = portOf(p.stack, 'TCP');
    const uasTcp = portOf(uas.stack, 'TCP');
    // As a strict router sends it: our Record-Route URI (no user, no lr) as Request-URI, the
    // remaining route set in Route, and the original Request-URI as the last Route.
    const rq = newRequest('OPTIONS', `sip:127.0.0.1:${String(proxyTcp)};transport=tcp`);
    const nextLoose = `sip:127.0.0.1:${String(uasTcp)};transport=tcp;lr`;
    const original = `sip:bob@127.0.0.1:${String(uasTcp)};transport=tcp`;
    rq.headers.route = [
      { uri: nextLoose, params: {} },
      { uri: original, params: {} },
    ];
    const rs = await uac.send(rq, { target: { protocol: 'TCP', address: '127.0.0.1', port: proxyTcp } }).final;
    expect(rs.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(stringifyUri(seen[0]!.uri)).toBe(original);
    expect(uas.log.requests).toHaveLength(1);
    const got = uas.log.requests[0]!;
    expect(stringifyUri(got.uri)).toBe(original);
    // Our Request-URI is gone, the last Route was consumed; the next loose router is left.
    expect((got.headers.route ?? []).map((r) => stringifyUri(r.uri))).toEqual([nextLoose]);
    expect(got.headers.via).toHaveLength(2);
    expect(got.headers['max-forwards']).toBe('69');
  });

  it('a transport failure on the only branch gives the UAC a 500, and the context ends (§16.7 item 6)', async () => {
    const dead = await deadTcpPort();
    const p = await startProxy({}, (proxy, rq) => {
      proxy.send(rq, { targets: [`sip:bob@127.0.0.1:${String(dead)};transport=tcp`] });
    });
    const uac = await startStack();
    const seen: number[] = [];
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP'), { onResponse: (r) => seen.push(r.status) }).final;
    expect(rs.status).toBe(500);
    expect(seen).not.toContain(503);
    expect(rs.headers.via).toHaveLength(1);
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });

  it('answers 408 when the route callback never sends (contextTimeout) and forgets the context', async () => {
    const uas = await startUas(undefined, 'TCP');
    const during: number[] = [];
    const p = await startProxy({ contextTimeout: 200 }, (proxy) => {
      during.push(proxy.contexts); // never forwarded, never answered
    });
    const uac = await startStack();
    const invite = newRequest('INVITE', uriOf(uas.stack, 'TCP'), p.stack, 'TCP');
    const rs = await uac.send(invite).final;
    expect(rs.status).toBe(408);
    expect(rs.headers.via).toHaveLength(1);
    expect(typeof rs.headers.to?.params.tag).toBe('string');
    expect(during).toEqual([1]);
    expect(uas.log.requests).toHaveLength(0);
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });
});
