/**
 * A UAC stack → the proxy → a UAS stack on 127.0.0.1: a call with Record-Route, CANCEL,
 * Max-Forwards, loops, Proxy-Require, and a UDP UAC to a TCP UAS (double Record-Route).
 */
import { createSocket } from 'node:dgram';
import { makeResponse, parseMessage, stringifyMessage, type SipRequest } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { loopHash, proxyBranch } from '../src/loop.js';
import { drainAndStop, inDialog, newRequest, portOf, router, startProxy, startStack, startUas, until, uriOf } from './helpers.js';

afterEach(async () => {
  await drainAndStop();
});

describe('a call through the proxy', () => {
  it('INVITE/180/200/ACK/BYE with Record-Route: the ACK and the BYE traverse the proxy', async () => {
    const uas = await startUas();
    const proxied: string[] = [];
    const p = await startProxy({ recordRoute: true }, (proxy, rq) => {
      proxied.push(rq.method);
      router(() => [uriOf(uas.stack)])(proxy, rq);
    });
    const uac = await startStack();
    const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack);
    const seen: number[] = [];
    const ok = await uac.send(invite, { onResponse: (r) => seen.push(r.status) }).final;
    expect(ok.status).toBe(200);
    expect(seen).toContain(180);
    expect(ok.headers.via).toHaveLength(1);
    const rr = ok.headers['record-route'] ?? [];
    expect(rr).toHaveLength(1);
    expect(JSON.stringify(rr[0]!.uri)).toContain('"lr":null');
    // The UAS saw the proxy's Via above the UAC's, Max-Forwards decremented, our Route removed.
    const got = uas.log.requests[0]!;
    expect(got.headers.via).toHaveLength(2);
    expect(got.headers['max-forwards']).toBe('69');
    expect(got.headers.route).toBeUndefined();
    await uac.sendAck(inDialog('ACK', invite, ok, 1));
    await until(() => uas.log.acks.length === 1, 3000, 'the ACK at the UAS');
    expect(uas.log.acks[0]!.headers.via).toHaveLength(2);
    const bye = await uac.send(inDialog('BYE', invite, ok, 2)).final;
    expect(bye.status).toBe(200);
    expect(proxied).toEqual(['INVITE', 'ACK', 'BYE']);
    expect(uas.log.requests.map((r) => r.method)).toEqual(['INVITE', 'BYE']);
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });

  it('puts the recordRouteParams of the request into its Record-Route, before lr, and the in-dialog Route carries them back', async () => {
    const uas = await startUas();
    const routes: unknown[] = [];
    const branches: unknown[] = [];
    const p = await startProxy({ recordRoute: true, recordRouteParams: (branch) => (branches.push(branch.uri), { dlg: `t-${String(branch.headers['call-id'])}` }) }, (proxy, rq) => {
      if (rq.method === 'BYE') routes.push(rq.headers.route);
      router(() => [uriOf(uas.stack)])(proxy, rq);
    });
    const uac = await startStack();
    const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack);
    const ok = await uac.send(invite).final;
    expect(ok.status).toBe(200);
    const uri = ok.headers['record-route']?.[0]?.uri;
    expect(typeof uri === 'object' && 'params' in uri ? Object.entries(uri.params) : []).toEqual([['transport', 'udp'], ['dlg', `t-${String(invite.headers['call-id'])}`], ['lr', null]]);
    await uac.sendAck(inDialog('ACK', invite, ok, 1));
    expect((await uac.send(inDialog('BYE', invite, ok, 2)).final).status).toBe(200);
    expect(routes).toEqual([undefined]); // our own entry, token and all, is removed (§16.4)
    expect(branches).toEqual([uriOf(uas.stack)]); // called with the branch: its Request-URI is the target
  });

  it('INVITE then CANCEL: the UAS sees the CANCEL and its 487 reaches the UAC', async () => {
    // TCP hops: Timer D is 0 over reliable transports, so every transaction ends within the test.
    const uas = await startUas((rq, st) => {
      if (rq.method === 'INVITE') void st.respond(makeResponse(rq, 180, undefined, { toTag: generateTag() }));
    });
    const p = await startProxy({}, router(() => [uriOf(uas.stack, 'TCP')]));
    const uac = await startStack();
    const abort = new AbortController();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP'), {
      signal: abort.signal,
      onResponse: (r) => {
        if (r.status === 180) abort.abort();
      },
    }).final;
    expect(rs.status).toBe(487);
    expect(uas.log.cancels).toHaveLength(1);
    expect(uas.log.cancels[0]!.headers['max-forwards']).toBeDefined();
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });

  it('answers 483 to Max-Forwards 0, and 200 to OPTIONS with Max-Forwards 0', async () => {
    const uas = await startUas();
    const p = await startProxy({}, router(() => [uriOf(uas.stack)]));
    const uac = await startStack();
    const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP');
    invite.headers['max-forwards'] = '0';
    expect((await uac.send(invite).final).status).toBe(483);
    const options = newRequest('OPTIONS', 'sip:bob@example.invalid', p.stack);
    options.headers['max-forwards'] = '0';
    expect((await uac.send(options).final).status).toBe(200);
    expect(uas.log.requests).toHaveLength(0);
  });

  it('answers 420 to an unsupported Proxy-Require', async () => {
    const uas = await startUas();
    const p = await startProxy({ supported: ['foo'] }, router(() => [uriOf(uas.stack)]));
    const uac = await startStack();
    const rq = newRequest('OPTIONS', 'sip:bob@example.invalid', p.stack);
    rq.headers['proxy-require'] = 'foo, bar';
    const rs = await uac.send(rq).final;
    expect(rs.status).toBe(420);
    expect(rs.headers.unsupported).toBe('bar');
  });

  it('detects a loop (a Via of ours with the same loop hash): 482', async () => {
    const p = await startProxy({}, router(() => ['sip:nobody@127.0.0.1:9']));
    const port = portOf(p.stack, 'UDP');
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const mine = socket.address().port;
    const rq: SipRequest = {
      method: 'OPTIONS',
      uri: 'sip:bob@example.invalid',
      headers: {
        via: [],
        to: { uri: 'sip:bob@example.invalid', params: {} },
        from: { uri: 'sip:alice@127.0.0.1', params: { tag: generateTag() } },
        'call-id': `loop-${generateTag()}`,
        cseq: { seq: 1, method: 'OPTIONS' },
        'max-forwards': '60',
      },
      content: '',
    };
    const loop = loopHash(rq);
    rq.headers.via = [
      { version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: mine, params: { branch: 'z9hG4bKlooptest1' } },
      { version: '2.0', protocol: 'UDP', host: '127.0.0.1', port, params: { branch: proxyBranch(loop) } },
      { version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: mine, params: { branch: 'z9hG4bKlooptest0' } },
    ];
    const answer = new Promise<string>((r) => socket.once('message', (m) => r(m.toString())));
    socket.send(stringifyMessage(rq), port, '127.0.0.1');
    const rs = parseMessage(new TextEncoder().encode(await answer));
    socket.close();
    expect(rs.status).toBe(482);
  });

  it('bridges a UDP UAC to a TCP UAS with a double Record-Route', async () => {
    const uas = await startUas(undefined, 'TCP');
    const p = await startProxy({ recordRoute: true }, router(() => [uriOf(uas.stack, 'TCP')]));
    const uac = await startStack();
    const invite = newRequest('INVITE', 'sip:bob@example.invalid', p.stack);
    const ok = await uac.send(invite).final;
    expect(ok.status).toBe(200);
    expect(uas.log.requests[0]!.headers.via![0]!.protocol).toBe('TCP');
    const rr = (ok.headers['record-route'] ?? []).map((e) => JSON.stringify(e.uri));
    expect(rr).toHaveLength(2);
    expect(rr[0]).toContain('"transport":"tcp"');
    expect(rr[1]).toContain('"transport":"udp"');
    await uac.sendAck(inDialog('ACK', invite, ok, 1));
    await until(() => uas.log.acks.length === 1, 3000, 'the ACK over TCP');
    const bye = await uac.send(inDialog('BYE', invite, ok, 2)).final;
    expect(bye.status).toBe(200);
  });
});
