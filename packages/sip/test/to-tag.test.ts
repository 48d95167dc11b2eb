/**
 * The To tag the facade adds to the responses a classic app sends without one (RFC 3261
 * §8.2.6.2), through `send` and through `@sipts/sip/proxy`, on real loopback sockets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '@sipts/message';
import { makeResponse, parse, stringify, type ClassicInstance } from '../src/index.js';
import * as proxy from '../src/proxy.js';
import { request, sendAndCollect, stackOn } from './helpers.js';

const open: ClassicInstance[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.destroy()));
  await proxy.stop();
  for (const s of sockets.splice(0)) s.close();
});

function tagOf(rs: SipResponse | undefined): unknown {
  return rs?.headers.to?.params.tag;
}

/** A caller stack and a callee stack whose app answers with `answer`. */
async function pair(answer: (rq: SipRequest, callee: ClassicInstance) => void) {
  const b = await stackOn((rq) => {
    answer(rq, b);
  });
  const a = await stackOn(() => undefined);
  open.push(a, b);
  return { a, b };
}

describe('To tags added to tagless responses (RFC 3261 §8.2.6.2)', () => {
  it('a tagless 180 and 200 to one INVITE carry the same generated tag; a 100 gets none', async () => {
    const sent: SipResponse[] = [];
    const { a, b } = await pair((rq, self) => {
      if (rq.method !== 'INVITE') return;
      for (const status of [100, 180, 200]) {
        const rs = makeResponse(rq, status);
        sent.push(rs);
        self.send(rs);
      }
    });
    const responses = await sendAndCollect(a, request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`));
    expect(responses.map((r) => r.status)).toEqual([100, 180, 200]);
    const [trying, ringing, ok] = responses;
    expect(tagOf(trying)).toBeUndefined();
    expect(tagOf(ringing)).toMatch(/^\w{8,}$/);
    expect(tagOf(ok)).toBe(tagOf(ringing));
    // The app's own response objects carry it (classic code reads rs.headers.to.params.tag back).
    expect(sent.map(tagOf)).toEqual([undefined, tagOf(ringing), tagOf(ringing)]);
  });

  it('a 404 to an OPTIONS gets a tag, a new one for each transaction', async () => {
    const { a, b } = await pair((rq, self) => {
      self.send(makeResponse(rq, 404, 'Not Found'));
    });
    const [first] = await sendAndCollect(a, request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`));
    const [second] = await sendAndCollect(a, request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`));
    expect(first?.status).toBe(404);
    expect(tagOf(first)).toMatch(/^\w{8,}$/);
    expect(tagOf(second)).toMatch(/^\w{8,}$/);
    expect(tagOf(second)).not.toBe(tagOf(first));
  });

  it('an app-set tag is kept, and a later tagless response of the transaction reuses it', async () => {
    const { a, b } = await pair((rq, self) => {
      const ringing = makeResponse(rq, 180);
      ringing.headers.to!.params.tag = 'app-tag-1';
      self.send(ringing);
      self.send(makeResponse(rq, 486, 'Busy Here'));
    });
    const responses = (await sendAndCollect(a, request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`))).filter((r) => r.status !== 100);
    expect(responses.map((r) => [r.status, tagOf(r)])).toEqual([
      [180, 'app-tag-1'],
      [486, 'app-tag-1'],
    ]);
  });

  it('a request inside a dialog keeps its own To tag', async () => {
    const { a, b } = await pair((rq, self) => {
      self.send(makeResponse(rq, 200));
    });
    const rq = request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`, { to: { uri: 'sip:bob@example.com', params: { tag: 'dialog-1' } } });
    const [rs] = await sendAndCollect(a, rq);
    expect(tagOf(rs)).toBe('dialog-1');
  });
});

/**
 * A raw UDP client on 127.0.0.1 that sends RFC 2543 requests (a branch without the magic cookie)
 * to `port` and collects the responses.
 */
async function legacyUac(port: number) {
  const uac = createSocket('udp4');
  sockets.push(uac);
  const got: SipResponse[] = [];
  uac.on('message', (data) => {
    const rs = parse(data);
    if (rs?.status !== undefined) got.push(rs);
  });
  await new Promise<void>((resolve) => uac.bind(0, '127.0.0.1', resolve));
  return {
    got,
    /** The request as it goes on the wire: its Via names this client, with `branch`. */
    wire(method: string, branch: string): string {
      const rq = request(method, `sip:bob@127.0.0.1:${String(port)}`, {
        via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: uac.address().port, params: { branch } }],
      });
      return stringify(rq);
    },
    send(wire: string): void {
      uac.send(wire, port, '127.0.0.1');
    },
    /** Waits (at most 5 s) until `done` holds for the responses collected. */
    async until(done: (got: SipResponse[]) => boolean): Promise<void> {
      const end = Date.now() + 5000;
      while (!done(got) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    },
  };
}

describe('To tags of RFC 2543 requests (no magic cookie: the stack cannot find their transaction by the response)', () => {
  it('a tagless 180 and 200 to one INVITE still carry the same generated tag', async () => {
    const b = await stackOn((rq) => {
      if (rq.method !== 'INVITE') return;
      b.send(makeResponse(rq, 180));
      b.send(makeResponse(rq, 200));
    });
    open.push(b);
    const uac = await legacyUac(b.port);
    uac.send(uac.wire('INVITE', 'legacy-2543-1'));
    await uac.until((got) => got.some((r) => r.status === 200));
    const [ringing, ok] = [uac.got.find((r) => r.status === 180), uac.got.find((r) => r.status === 200)];
    expect(tagOf(ringing)).toMatch(/^\w{8,}$/);
    expect(tagOf(ok)).toBe(tagOf(ringing));
  });
});

describe('responses to RFC 2543 requests go through their server transaction (RFC 3261 §17.2.2)', () => {
  it('a retransmitted OPTIONS gets the final response again, and the app hears the request once', async () => {
    let heard = 0;
    const b = await stackOn((rq) => {
      heard++;
      b.send(makeResponse(rq, 404));
    });
    open.push(b);
    const uac = await legacyUac(b.port);
    const wire = uac.wire('OPTIONS', 'legacy-2543-2');
    uac.send(wire);
    await uac.until((got) => got.length >= 1);
    uac.send(wire); // a retransmission: the transaction answers it (Completed)
    await uac.until((got) => got.length >= 2);
    expect(uac.got.map((r) => r.status)).toEqual([404, 404]);
    expect(tagOf(uac.got[1])).toBe(tagOf(uac.got[0]));
    expect(heard).toBe(1);
  });
});

describe('To tags through @sipts/sip/proxy', () => {
  async function startProxy(route: (rq: SipRequest) => void): Promise<number> {
    const instance = proxy.start({ address: '127.0.0.1', port: 0, tcp: false }, route);
    await instance.ready;
    return instance.stack.transport.listening.find((l) => l.protocol === 'UDP')?.port ?? 0;
  }

  it('responses the route callback builds get one tag per transaction; a 100 gets none', async () => {
    const port = await startProxy((rq) => {
      if (rq.method === 'INVITE') {
        proxy.send(makeResponse(rq, 100));
        proxy.send(makeResponse(rq, 180));
        proxy.send(makeResponse(rq, 486));
      } else proxy.send(makeResponse(rq, 404));
    });
    const a = await stackOn(() => undefined);
    open.push(a);
    const responses = await sendAndCollect(a, request('INVITE', `sip:bob@127.0.0.1:${String(port)}`));
    expect(responses.map((r) => r.status)).toEqual([100, 180, 486]);
    expect(tagOf(responses[0])).toBeUndefined();
    expect(tagOf(responses[1])).toMatch(/^\w{8,}$/);
    expect(tagOf(responses[2])).toBe(tagOf(responses[1]));
    const [notFound] = await sendAndCollect(a, request('OPTIONS', `sip:bob@127.0.0.1:${String(port)}`));
    expect(notFound?.status).toBe(404);
    expect(tagOf(notFound)).toMatch(/^\w{8,}$/);
  });

  it('a response a callback got is forwarded as it is (RFC 3261 §16.7), even tagless', async () => {
    // The downstream UAS: a raw socket answering a tagless 180 (its bug), then a tagged 200.
    const uas = createSocket('udp4');
    sockets.push(uas);
    uas.on('message', (data, rinfo) => {
      const rq = parse(data);
      if (rq?.method !== 'INVITE') return;
      for (const rs of [makeResponse(rq, 180), makeResponse(rq, 200, undefined, { toTag: 'uas-tag' })]) uas.send(stringify(rs), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => uas.bind(0, '127.0.0.1', resolve));
    const uasPort = uas.address().port;
    const port = await startProxy((rq) => {
      if (rq.method !== 'INVITE') return;
      rq.uri = `sip:bob@127.0.0.1:${String(uasPort)}`;
      proxy.send(rq, (rs) => {
        rs.headers.via?.shift();
        proxy.send(rs);
      });
    });
    const a = await stackOn(() => undefined);
    open.push(a);
    const responses = (await sendAndCollect(a, request('INVITE', `sip:bob@127.0.0.1:${String(port)}`))).filter((r) => r.status !== 100);
    expect(responses.map((r) => [r.status, tagOf(r)])).toEqual([
      [180, undefined],
      [200, 'uas-tag'],
    ]);
  });
  it.each([
    ['408 (Timer F: the next hop never answers)', 'silent'],
    ['404 (a flow URI of ours that does not verify)', 'flow'],
  ] as const)('a synthesized %s that the app forwards upstream carries a To tag', async (_name, kind) => {
    const silent = createSocket('udp4');
    sockets.push(silent);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const b = await stackOn(
      (rq) => {
        if (rq.method !== 'OPTIONS') return;
        rq.uri = kind === 'silent' ? `sip:bob@127.0.0.1:${String(silent.address().port)}` : 'sip:not-a-flow-token@127.0.0.1';
        b.send(rq, (rs) => {
          rs.headers.via?.shift();
          b.send(rs);
        });
      },
      { timers: { T1: 5 } },
    );
    const a = await stackOn(() => undefined);
    open.push(a, b);
    const [rs] = await sendAndCollect(a, request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`));
    expect(rs?.status).toBe(kind === 'silent' ? 408 : 404);
    expect(tagOf(rs)).toMatch(/^\w{8,}$/);
  });
});
