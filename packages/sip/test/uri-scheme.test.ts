/**
 * RFC 3261 §8.2.2.1, §16.3 through the facade: a Request-URI scheme the stack does not handle
 * (RFC 4475 unkscm, novelsc) gets 416 before the classic handler, which would answer it 200;
 * `uriSchemes` lets such requests through, for `start`/`create` and for `@sipts/sip/proxy`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { makeResponse, parse, stringifyUri, type ClassicInstance, type ClassicOptions } from '../src/index.js';
import * as proxy from '../src/proxy.js';
import { stackOn } from './helpers.js';

const open: ClassicInstance[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.destroy()));
  await proxy.stop();
  for (const s of sockets.splice(0)) s.close();
});

/** Sends OPTIONS <uri> from a raw UDP socket to 127.0.0.1:port; resolves with the response status. */
async function optionsTo(port: number, uri: string): Promise<number | undefined> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const text = [`OPTIONS ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${String(s.address().port)};branch=z9hG4bK-${String(Math.random()).slice(2)}`, 'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:b@127.0.0.1>', `Call-ID: ${String(Math.random())}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');
  const answer = new Promise<number | undefined>((resolve) => {
    s.once('message', (data) => {
      resolve(parse(data)?.status);
    });
  });
  s.send(text, port, '127.0.0.1');
  return answer;
}

/** A classic app that answers everything 200, as classic apps did (an unknown scheme too). */
async function classicUas(options: ClassicOptions = {}): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const b = await stackOn((rq) => {
    seen.push(typeof rq.uri === 'string' ? rq.uri : stringifyUri(rq.uri));
    b.send(makeResponse(rq, 200));
  }, options);
  open.push(b);
  return { port: b.port, seen };
}

describe('416 Unsupported URI Scheme before the classic handler', () => {
  it.each(['nobodyKnowsThisScheme:totallyopaquecontent', 'soap.beep://127.0.0.1:3002'])('%s: 416, the handler never sees it', async (uri) => {
    const { port, seen } = await classicUas();
    expect(await optionsTo(port, uri)).toBe(416);
    expect(await optionsTo(port, 'sip:b@127.0.0.1')).toBe(200);
    expect(seen).toEqual(['sip:b@127.0.0.1']);
  });

  it("uriSchemes: 'any' hands them to the handler", async () => {
    const { port, seen } = await classicUas({ uriSchemes: 'any' });
    expect(await optionsTo(port, 'nobodyKnowsThisScheme:totallyopaquecontent')).toBe(200);
    expect(seen).toEqual(['nobodyKnowsThisScheme:totallyopaquecontent']);
  });

  it('@sipts/sip/proxy: 416 by default, the route callback with uriSchemes', async () => {
    for (const [uriSchemes, expected] of [[undefined, 416], [['sip', 'urn'], 404]] as const) {
      const routed: string[] = [];
      const instance = proxy.start({ address: '127.0.0.1', port: 0, tcp: false, ...(uriSchemes !== undefined ? { uriSchemes } : {}) }, (rq) => {
        routed.push(typeof rq.uri === 'string' ? rq.uri : stringifyUri(rq.uri));
        proxy.send(makeResponse(rq, 404));
      });
      await instance.ready;
      const port = instance.stack.transport.listening.find((l) => l.protocol === 'UDP')?.port ?? 0;
      expect(await optionsTo(port, 'urn:service:sos')).toBe(expected);
      expect(routed).toEqual(expected === 416 ? [] : ['urn:service:sos']);
      await proxy.stop();
    }
  });
});
