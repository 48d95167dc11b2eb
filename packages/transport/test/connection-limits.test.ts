/**
 * Connection exhaustion (issue 16, finding 9): connections per address and per IPv6 /64, the
 * first-message deadline of silent connections, O(1) removal from the pool; and the WebSocket
 * Origin check. Counts and events only: no timing thresholds.
 */
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../src/node/connection.js';
import { ConnectionPool } from '../src/node/connection-pool.js';
import { ipv6Prefix64 } from '../src/receive.js';
import { DEFAULT_TRANSPORT_LIMITS, type Remote } from '../src/types.js';
import { cleanup, portOf, requestText, startLayer, tcpClient, waitFor } from './layer-helpers.js';

afterEach(cleanup);

let flows = 0;
/** A pool entry that counts how often its `remote` is read. */
function fakeConnection(address: string, port: number, reads: { n: number } = { n: 0 }): Connection {
  const remote: Remote = { protocol: 'TCP', address, port, local: { address: '127.0.0.1', port: 5060 }, flowId: `TCP/f${String(++flows)}/${address}/${String(port)}` };
  return {
    protocol: 'TCP',
    get remote() {
      reads.n++;
      return remote;
    },
    outbound: false,
    open: true,
    write: () => Promise.resolve(),
    close: () => undefined,
  };
}

describe('ConnectionPool', () => {
  it('refuses the N+1th inbound connection from one IPv6 /64, whatever the address in it', () => {
    const pool = new ConnectionPool({ ...DEFAULT_TRANSPORT_LIMITS, maxConnectionsPerAddress: 100, maxConnectionsPerIpv6Prefix: 3 });
    for (let i = 1; i <= 3; i++) expect(pool.add(fakeConnection(`2001:db8:1:2::${String(i)}`, 40000 + i))).toBe(true);
    expect(pool.add(fakeConnection('2001:db8:1:2:ffff::9', 40009))).toBe(false);
    expect(pool.add(fakeConnection('2001:db8:1:3::1', 40010))).toBe(true); // the next /64
    expect(pool.add(fakeConnection('192.0.2.1', 40011))).toBe(true); // IPv4 has no /64
    expect(pool.size).toBe(5);
  });

  it('frees a /64 slot when a connection in it is removed', () => {
    const pool = new ConnectionPool({ ...DEFAULT_TRANSPORT_LIMITS, maxConnectionsPerIpv6Prefix: 1 });
    const first = fakeConnection('2001:db8::1', 1);
    expect(pool.add(first)).toBe(true);
    expect(pool.add(fakeConnection('2001:db8::2', 2))).toBe(false);
    expect(pool.remove(first)).toBe(true);
    expect(pool.add(fakeConnection('2001:db8::2', 2))).toBe(true);
  });

  it('removes a connection without looking at the others (O(1))', () => {
    const pool = new ConnectionPool({ ...DEFAULT_TRANSPORT_LIMITS, maxConnectionsPerAddress: 20_000 });
    const others = { n: 0 };
    for (let i = 0; i < 5000; i++) pool.add(fakeConnection('127.0.0.1', 10000 + i, others));
    const last = fakeConnection('127.0.0.1', 9999);
    pool.add(last);
    others.n = 0;
    expect(pool.remove(last)).toBe(true);
    expect(others.n).toBe(0);
    expect(pool.size).toBe(5000);
  });

  it('finds the remaining connection to an endpoint after another one to it is removed', () => {
    const pool = new ConnectionPool(DEFAULT_TRANSPORT_LIMITS);
    const a = fakeConnection('192.0.2.7', 5060);
    const b = fakeConnection('192.0.2.7', 5060);
    pool.add(a);
    pool.add(b);
    expect(pool.find('TCP', '192.0.2.7', 5060)).toBe(b);
    pool.remove(b);
    expect(pool.find('TCP', '192.0.2.7', 5060)).toBe(a);
    pool.remove(a);
    expect(pool.find('TCP', '192.0.2.7', 5060)).toBeUndefined();
  });

  it('ipv6Prefix64 names the /64 and nothing for IPv4', () => {
    expect(ipv6Prefix64('2001:DB8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(ipv6Prefix64('[::1]')).toBe('0:0:0:0::/64');
    expect(ipv6Prefix64('::ffff:192.0.2.1')).toBeUndefined();
    expect(ipv6Prefix64('192.0.2.1')).toBeUndefined();
  });
});

describe('connections through the layer', () => {
  it('refuses the N+1th TCP connection from one address', async () => {
    const { layer } = await startLayer({ udp: false, tcp: { port: 0 }, limits: { maxConnectionsPerAddress: 3 } });
    const port = portOf(layer, 'TCP');
    const peers = [];
    for (let i = 0; i < 3; i++) peers.push(await tcpClient(port));
    await waitFor(() => layer.stats.connectionsOpened === 3, 5000, 'three connections');
    const fourth = await tcpClient(port);
    await fourth.whenClosed();
    expect(layer.stats.connectionsRejected).toBe(1);
    expect(peers.every((p) => !p.closed)).toBe(true);
  });

  it('closes a TCP connection that sends no valid message in time, and keeps the one that did', async () => {
    const { layer, got } = await startLayer({ udp: false, tcp: { port: 0 }, limits: { firstMessageTimeoutMs: 300 } });
    const port = portOf(layer, 'TCP');
    const talker = await tcpClient(port);
    talker.send(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtalker' }));
    await waitFor(() => got.requests.length === 1, 5000, 'the request');
    const silent = await tcpClient(port);
    silent.send('\r\n\r\n'); // keep-alives are not a message
    await silent.whenClosed();
    expect(layer.stats.silentConnectionsClosed).toBe(1);
    expect(talker.closed).toBe(false);
  });

  it('closes a silent WebSocket connection at the first-message deadline', async () => {
    const { layer } = await startLayer({ udp: false, tcp: false, ws: { port: 0 }, limits: { firstMessageTimeoutMs: 300 } });
    const ws = new WebSocket(`ws://127.0.0.1:${String(portOf(layer, 'WS'))}/`, ['sip']);
    const closed = new Promise<void>((resolve) => ws.once('close', () => { resolve(); }));
    ws.on('error', () => undefined);
    await closed;
    expect(layer.stats.silentConnectionsClosed).toBe(1);
  });
});

describe('the idle limit after the first message', () => {
  it('closes a WebSocket connection that went quiet after a valid request (idleTimeoutMs)', async () => {
    const { layer, got } = await startLayer({ udp: false, tcp: false, ws: { port: 0 }, limits: { firstMessageTimeoutMs: 600_000, idleTimeoutMs: 300 } });
    const ws = new WebSocket(`ws://127.0.0.1:${String(portOf(layer, 'WS'))}/`, ['sip']);
    ws.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => ws.once('close', () => { resolve(); }));
    await new Promise<void>((resolve) => ws.once('open', () => { resolve(); }));
    ws.send(requestText({ via: 'SIP/2.0/WS talker.invalid;branch=z9hG4bKidle' }));
    await waitFor(() => got.requests.length === 1, 5000, 'the request');
    await closed;
    await waitFor(() => layer.stats.connectionsClosed === 1, 5000, 'the server side to count the close');
    expect(layer.stats.silentConnectionsClosed).toBe(0);
  });
});

describe('WebSocket Origin (RFC 6455 §10.2)', () => {
  async function handshake(port: number, origin: string | undefined): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/`, ['sip'], origin === undefined ? {} : { origin });
      ws.on('error', () => undefined);
      ws.once('unexpected-response', (_rq, rs) => {
        resolve(rs.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => {
        resolve(101);
        ws.close();
      });
    });
  }

  it('refuses a page of another origin with 403, accepts the allowed one and clients that send none', async () => {
    const allowOrigin = (o: string | undefined): boolean => o === undefined || o.toLowerCase() === 'https://phone.example.com';
    const { layer } = await startLayer({ udp: false, tcp: false, ws: { port: 0, allowOrigin } });
    const port = portOf(layer, 'WS');
    expect(await handshake(port, 'https://evil.example')).toBe(403);
    expect(await handshake(port, 'https://Phone.example.com')).toBe(101);
    expect(await handshake(port, undefined)).toBe(101);
  });

  it('accepts every origin when no check is configured', async () => {
    const { layer } = await startLayer({ udp: false, tcp: false, ws: { port: 0 } });
    expect(await handshake(portOf(layer, 'WS'), 'https://evil.example')).toBe(101);
  });
});
