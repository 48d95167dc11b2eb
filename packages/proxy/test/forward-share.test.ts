/**
 * Forwarding without deep copies (RFC 3261 §16.6): the headers the proxy does not change reach
 * the next hop as the bytes that came in; the branches of a fork get writes of their own; the
 * route callback learns which of its own Route entries were removed (§16.4) as an argument.
 */
import { createSocket, type Socket } from 'node:dgram';
import { makeResponse, stringifyUri, type RouteEntry, type SipRequest, type SipUri } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { drainAndStop, newRequest, portOf, startProxy, startStack, startUas, until } from './helpers.js';

let sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  sockets = [];
  await drainAndStop();
});

/** A raw UDP socket on 127.0.0.1 that plays the UAC (it never answers). */
async function rawUac(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  sockets.push(socket);
  return { socket, port: socket.address().port };
}

function sendText(socket: Socket, port: number, lines: string[]): void {
  socket.send(Buffer.from(lines.join('\r\n'), 'latin1'), port, '127.0.0.1');
}

describe('forwarding shares what it does not change', () => {
  it('sends untouched headers as the bytes that arrived; Max-Forwards and Via are the writes', async () => {
    const received: string[] = [];
    const uas = await startStack({
      trace: {
        onReceive(bytes) {
          received.push(Buffer.from(bytes).toString('latin1'));
        },
      },
    });
    uas.setRequestHandler((_rq, st) => {
      st.terminate();
    });
    const uasPort = portOf(uas, 'UDP');
    const p = await startProxy({}, (proxy, rq) => {
      proxy.send(rq, { targets: [`sip:bob@127.0.0.1:${String(uasPort)}`] });
    });
    const uac = await rawUac();
    sendText(uac.socket, portOf(p.stack, 'UDP'), [
      `MESSAGE sip:bob@127.0.0.1:${String(portOf(p.stack, 'UDP'))} SIP/2.0`,
      `v: SIP/2.0/UDP 127.0.0.1:${String(uac.port)};branch=z9hG4bKshare1;rport`,
      'f: <sip:alice@127.0.0.1>;tag=a1',
      't: <sip:bob@127.0.0.1>',
      'i: share-raw-1',
      'CSeq: 1 MESSAGE',
      'Max-Forwards: 70',
      'X-Odd-Spacing:  x ',
      'User-Agent:   raw',
      'l: 0',
      '',
      '',
    ]);
    await until(() => received.length > 0, 5000, 'the forwarded MESSAGE');
    const text = received[0] ?? '';
    expect(text).toMatch(/^MESSAGE sip:bob@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
    expect(text).toContain('\r\ni: share-raw-1\r\n');
    expect(text).toContain('\r\nX-Odd-Spacing:  x \r\nUser-Agent:   raw\r\n');
    expect(text).toContain('\r\nMax-Forwards: 69\r\n');
    expect(text.match(/\r\nVia: /g)).toHaveLength(2);
  });

  it('gives each branch of a fork its own Route and Record-Route; the request kept is unchanged', async () => {
    const busy = (rq: SipRequest, st: ServerTransactionHandle): void => void st.respond(makeResponse(rq, 486, undefined, { toTag: generateTag() }));
    const a = await startUas(busy, 'TCP');
    const b = await startUas(busy, 'TCP');
    const [pa, pb] = [portOf(a.stack, 'TCP'), portOf(b.stack, 'TCP')];
    const routeTo = (port: number, name: string): RouteEntry => ({ uri: `sip:127.0.0.1:${String(port)};transport=tcp;lr;path=${name}`, params: {} });
    let kept: SipRequest | undefined;
    const p = await startProxy({ recordRoute: true, recordRouteParams: (branch) => ({ side: stringifyUri(branch.uri).includes(String(pa)) ? 'a' : 'b' }) }, (proxy, rq) => {
      kept = rq;
      proxy.send(rq, {
        targets: [
          { uri: `sip:bob@127.0.0.1:${String(pa)};transport=tcp`, route: [routeTo(pa, 'a')] },
          { uri: `sip:bob@127.0.0.1:${String(pb)};transport=tcp`, route: [routeTo(pb, 'b')] },
        ],
      });
    });
    const uac = await startStack();
    expect((await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final).status).toBe(486);
    const [ra, rb] = [a.log.requests[0], b.log.requests[0]];
    expect(ra?.headers.route?.map((r) => (r.uri as SipUri).params.path)).toEqual(['a']);
    expect(rb?.headers.route?.map((r) => (r.uri as SipUri).params.path)).toEqual(['b']);
    expect(ra?.headers['record-route']?.map((r) => (r.uri as SipUri).params.side)).toEqual(['a']);
    expect(rb?.headers['record-route']?.map((r) => (r.uri as SipUri).params.side)).toEqual(['b']);
    expect(ra?.headers.via?.[0]?.params.branch).not.toBe(rb?.headers.via?.[0]?.params.branch);
    expect(ra?.headers['max-forwards']).toBe('69');
    // No branch's write shows on the request the route callback got.
    expect(kept?.headers.route).toBeUndefined();
    expect(kept?.headers['record-route']).toBeUndefined();
    expect(kept?.headers.via).toHaveLength(1);
    expect(kept?.headers['max-forwards']).toBe('70');
  });

  it('hands the route callback the Route entries of ours it removed, top first', async () => {
    const uas = await startUas();
    const seen: { rq: SipRequest; removed: readonly RouteEntry[] }[] = [];
    const p = await startProxy({}, (proxy, rq, _remote, removed) => {
      seen.push({ rq, removed });
      proxy.send(rq);
    });
    const proxyPort = portOf(p.stack, 'UDP');
    const uasUri = `sip:bob@127.0.0.1:${String(portOf(uas.stack, 'UDP'))}`;
    const uac = await startStack();
    const request = (callId: string, route?: RouteEntry[]): SipRequest => ({
      method: 'MESSAGE',
      uri: uasUri,
      headers: {
        to: { uri: 'sip:bob@127.0.0.1', params: {} },
        from: { uri: 'sip:alice@127.0.0.1', params: { tag: callId } },
        'call-id': callId,
        cseq: { seq: 1, method: 'MESSAGE' },
        'max-forwards': '70',
        ...(route !== undefined ? { route } : {}),
      },
      content: '',
    });
    const toProxy = { target: { protocol: 'UDP' as const, address: '127.0.0.1', port: proxyPort } };
    const routed = request('removed-route-1', [
      { uri: `sip:flowtoken@127.0.0.1:${String(proxyPort)};lr;dt=abc`, params: {} },
      { uri: `sip:127.0.0.1:${String(proxyPort)};transport=udp;lr`, params: {} },
      { uri: `${uasUri};lr`, params: {} },
    ]);
    expect((await uac.send(routed, toProxy).final).status).toBe(200);
    expect(seen).toHaveLength(1);
    const removed = seen[0]?.removed ?? [];
    expect(removed.map((r) => (r.uri as SipUri).user)).toEqual(['flowtoken', undefined]);
    expect((removed[0]?.uri as SipUri).params.dt).toBe('abc');
    expect(seen[0]?.rq.headers.route).toHaveLength(1);
    // Nothing of ours on top: nothing removed.
    expect((await uac.send(request('removed-route-2'), toProxy).final).status).toBe(200);
    expect(seen[1]?.removed).toEqual([]);
    expect(uas.log.requests).toHaveLength(2);
  });
});
