import { createSocket } from 'node:dgram';
import { makeResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { useTestServer } from './use-test-server.js';

const fx = useTestServer();

/** Sends one datagram to the server's UDP port and resolves with the first answer (or undefined after `ms`). */
async function udpExchange(port: number, text: string, ms = 2000): Promise<string | undefined> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    return await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => {
        resolve(undefined);
      }, ms);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m.toString('utf8'));
      });
      sock.send(text.replace(/PORT/g, String((sock.address()).port)), port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

describe('operations', () => {
  it('serves Prometheus metrics and a health document', async () => {
    // Over TCP: no retransmission adds to the exact counts below (over UDP a REGISTER answered
    // after 500 ms on a loaded machine went out twice, and sipts_requests_total counts datagrams).
    const alice = await fx.ua('alice', 'TCP');
    expect((await alice.register()).status).toBe(200);
    const base = `http://127.0.0.1:${String(fx.srv.server.ports.http)}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^sipts_registrations 1$/m);
    expect(metrics).toMatch(/^sipts_requests_total\{method="REGISTER"\} 2$/m);
    expect(metrics).toMatch(/^sipts_responses_total\{code="401"\} 1$/m);
    expect(metrics).toMatch(/^sipts_responses_total\{code="200"\} 1$/m);
    expect(metrics).toMatch(/^sipts_transactions \d+$/m);
    expect(metrics).toMatch(/^sipts_active_flows 1$/m); // alice's connection
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; store: { reachable: boolean }; instanceId: string };
    expect(body).toMatchObject({ status: 'ok', store: { reachable: true }, instanceId: fx.srv.server.instanceId });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('reports an unreachable store as 503 on /health', async () => {
    await fx.srv.store.close();
    const broken = { ...fx.srv.store, count: () => Promise.reject(new Error('store down')) };
    await fx.restart({}, broken);
    const rs = await fetch(`http://127.0.0.1:${String(fx.srv.server.ports.http)}/health`);
    expect(rs.status).toBe(503);
    expect(((await rs.json()) as { store: { reachable: boolean } }).store.reachable).toBe(false);
  });

  it('answers a malformed request 400, counts it, and keeps serving', async () => {
    const port = fx.srv.server.ports.udp ?? 0;
    const bad = 'OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKbad1\r\nFrom: <sip:x@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: bad1\r\nCSeq: notanumber OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const answer = await udpExchange(port, bad);
    expect(answer).toMatch(/^SIP\/2\.0 400 /);
    const good = 'OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKgood1\r\nMax-Forwards: 70\r\nFrom: <sip:x@example.org>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: good1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    expect(await udpExchange(port, good)).toMatch(/^SIP\/2\.0 200 /);
    const metrics = await fx.srv.server.metrics?.registry.metrics();
    expect(metrics).toMatch(/^sipts_parse_errors_total [1-9]/m);
  });

  it('stops gracefully: a live call finishes, new requests get 503', async () => {
    const bob = await fx.ua('bob', 'UDP');
    expect((await bob.register()).status).toBe(200);
    let release: (() => void) | undefined;
    bob.answer = (rq, st) => {
      release = () => void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact: [{ uri: bob.contactUri, params: {} }] } }));
    };
    const alice = await fx.ua('alice', 'UDP');
    const call = alice.send(alice.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { contact: [{ uri: alice.contactUri, params: {} }] }));
    await bob.waitFor(1);
    const stopping = fx.srv.server.stop();
    const late = await alice.sendRaw(alice.request('OPTIONS', 'sip:localhost', 'sip:localhost'));
    expect(late.status).toBe(503);
    release?.();
    expect((await call).status).toBe(200);
    await stopping;
  });
});
