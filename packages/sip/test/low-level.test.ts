/**
 * The undocumented low-level exports: makeTransport, makeTransactionLayer and resolve, used the
 * classic way against a facade stack on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SipMessage, SipRequest, SipResponse } from '@sipts/message';
import { makeResponse, makeTransactionLayer, makeTransport, resolve, type ClassicConnection, type ClassicInstance, type ClassicTransport, type Target } from '../src/index.js';
import { request, stackOn } from './helpers.js';

const open: (ClassicInstance | ClassicTransport)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.destroy()));
});

describe('low-level classic exports', () => {
  it('makeTransport + makeTransactionLayer: a client transaction on a classic connection', async () => {
    const b = await stackOn((rq) => {
      b.send(makeResponse(rq, 200, 'OK'));
    });
    open.push(b);
    const layer = makeTransactionLayer({});
    const transport = makeTransport({ address: '127.0.0.1', port: 0, tcp: false }, (m: SipMessage) => {
      if (m.status !== undefined) layer.getClient(m)?.message(m);
    });
    open.push(transport);
    await transport.ready;
    const rq: SipRequest = request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`, { via: [{ version: '2.0', protocol: 'UDP', host: '', port: undefined, params: {} }] });
    const target: Target = { protocol: 'UDP', address: '127.0.0.1', port: b.port };
    const final = await new Promise<SipResponse>((done) => {
      layer.createClientTransaction(transport.open(target), rq, (rs) => {
        if (rs.status >= 200) done(rs);
      });
    });
    expect(final.status).toBe(200);
    expect(rq.headers.via?.[0]?.params.branch).toMatch(/^z9hG4bK/);
    layer.destroy();
  });

  /** A connection that sends `works` messages, then throws as a closed one would. */
  function breaking(c: ClassicConnection, works: number): ClassicConnection {
    let left = works;
    return {
      protocol: c.protocol,
      release: () => {
        c.release();
      },
      send(m) {
        if (left-- <= 0) throw new Error('connection closed');
        c.send(m);
      },
      ...(c.address !== undefined ? { address: c.address } : {}),
      ...(c.port !== undefined ? { port: c.port } : {}),
    };
  }

  it('makeTransactionLayer: transportOpen opens a new connection to the real peer when a client transaction’s is gone', async () => {
    const b = await stackOn((rq) => {
      b.send(makeResponse(rq, 486, 'Busy Here'));
    });
    open.push(b);
    const opened: Target[] = [];
    const transport = makeTransport({ address: '127.0.0.1', port: 0, tcp: false }, (m: SipMessage) => {
      if (m.status !== undefined) layer.getClient(m)?.message(m);
    });
    open.push(transport);
    const layer = makeTransactionLayer({}, (target, onError) => {
      opened.push(target);
      return transport.open(target, onError);
    });
    await transport.ready;
    const rq = request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`, { via: [{ version: '2.0', protocol: 'UDP', host: '', port: undefined, params: {} }] });
    const target: Target = { protocol: 'UDP', address: '127.0.0.1', port: b.port };
    const final = await new Promise<SipResponse>((done) => {
      layer.createClientTransaction(breaking(transport.open(target), 1), rq, (rs) => {
        if (rs.status >= 200) done(rs);
      });
    });
    expect(final.status).toBe(486);
    // The ACK for the 486 (RFC 3261 §17.1.1.3) went over a new connection, to B itself.
    await expect.poll(() => opened).toEqual([{ protocol: 'UDP', address: '127.0.0.1', port: b.port }]);
    layer.destroy();
  });

  it('makeTransactionLayer: a response whose connection is gone goes to received/rport over a new one (RFC 3261 §18.2.2)', async () => {
    const opened: Target[] = [];
    const layer = makeTransactionLayer({}, (target, onError) => {
      opened.push(target);
      return server.open(target, onError);
    });
    const server = makeTransport({ address: '127.0.0.1', port: 0, tcp: false }, (m, remote) => {
      if (m.method === undefined || m.method === 'ACK') return;
      const t = layer.getServer(m) ?? layer.createServerTransaction(m, breaking(server.get(remote)!, 0));
      t.send(makeResponse(m, 200, 'OK'));
    });
    open.push(server);
    await server.ready;
    const port = server.layer.listening[0]?.port ?? 0;
    const a = await stackOn(() => undefined);
    open.push(a);
    const status = await new Promise<number>((done) => {
      a.send(request('OPTIONS', `sip:nobody@127.0.0.1:${String(port)}`), (rs) => {
        done(rs.status);
      });
    });
    expect(status).toBe(200);
    expect(opened).toEqual([{ protocol: 'UDP', address: '127.0.0.1', port: a.port }]);
    layer.destroy();
  });

  it('makeTransactionLayer without transportOpen: a transaction whose connection is gone gets nothing sent (and a client one its 503)', async () => {
    const layer = makeTransactionLayer({});
    const transport = makeTransport({ address: '127.0.0.1', port: 0, tcp: false }, () => undefined);
    open.push(transport);
    await transport.ready;
    const rq = request('OPTIONS', 'sip:bob@127.0.0.1:9', { via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 9, params: {} }] });
    const final = await new Promise<SipResponse>((done) => {
      layer.createClientTransaction(breaking(transport.open({ protocol: 'UDP', address: '127.0.0.1', port: 9 }), 0), rq, (rs) => {
        if (rs.status >= 200) done(rs);
      });
    });
    expect(final.status).toBe(503);
    layer.destroy();
  });

  it('makeTransport: a stateless server answers through transport.send(remote, response)', async () => {
    const server = makeTransport({ address: '127.0.0.1', port: 0, tcp: false }, (m, remote) => {
      if (m.method !== undefined) server.send(remote, makeResponse(m, 404, 'Not Found'));
    });
    open.push(server);
    await server.ready;
    const port = server.layer.listening[0]?.port ?? 0;
    const a = await stackOn(() => undefined);
    open.push(a);
    const status = await new Promise<number>((done) => {
      a.send(request('OPTIONS', `sip:nobody@127.0.0.1:${String(port)}`), (rs) => {
        done(rs.status);
      });
    });
    expect(status).toBe(404);
  });

  it('resolve: an IP literal needs no DNS; localhost resolves through the hosts file', async () => {
    const literal = await new Promise<Target[]>((done) => {
      resolve('sip:127.0.0.1:5070;transport=tcp', done);
    });
    expect(literal[0]).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: 5070 });
    const local = await new Promise<Target[]>((done) => {
      resolve('sip:localhost:5070', done);
    });
    expect(local.length).toBeGreaterThan(0);
    const bad = await new Promise<Target[]>((done) => {
      resolve('tel:+1555', done);
    });
    expect(bad).toEqual([]);
  });
});
