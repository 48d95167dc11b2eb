/**
 * The server's connection limits (issue 16, finding 9) and its WebSocket Origin allow-list
 * (finding 12), over real loopback sockets. Counts and events, no timing thresholds.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOriginCheck } from '../src/origin.js';
import { startServer, type TestServer } from './helpers.js';

let srv: TestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await srv?.stop();
  srv = undefined;
});

/** A raw TCP client; `closed` resolves when the server closes it. */
async function tcp(port: number): Promise<{ socket: Socket; closed: Promise<void>; isClosed: () => boolean }> {
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.push(socket);
  socket.on('error', () => undefined);
  let done = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => { done = true; resolve(); }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => { resolve(); });
    socket.once('error', reject);
  });
  return { socket, closed, isClosed: () => done };
}

function options(n: number): string {
  return (
    `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKconn${String(n)}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:probe@example.org>;tag=p${String(n)}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: conn-${String(n)}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

/** The status of a WebSocket opening handshake (101 when accepted) with this Origin header, if any. */
async function handshake(port: number, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const rq = request({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': 'sip',
        ...(origin !== undefined ? { Origin: origin } : {}),
      },
    });
    rq.once('upgrade', (rs, socket) => {
      socket.destroy();
      resolve(rs.statusCode ?? 0);
    });
    rq.once('response', (rs) => {
      rs.resume();
      resolve(rs.statusCode ?? 0);
    });
    rq.once('error', reject);
    rq.end();
  });
}

describe('connection limits (issue 16, finding 9)', () => {
  it('refuses the N+1th TCP connection from one address (limits.connectionsPerAddress)', async () => {
    srv = await startServer({ limits: { connectionsPerAddress: 2 } });
    const port = srv.target('TCP').port;
    const kept = [await tcp(port), await tcp(port)];
    const third = await tcp(port);
    await third.closed;
    expect(kept.map((k) => k.isClosed())).toEqual([false, false]);
  });

  it('closes a connection that sends no request within limits.firstRequestSeconds, keeps one that did', async () => {
    srv = await startServer({ limits: { firstRequestSeconds: 1 } });
    const port = srv.target('TCP').port;
    const talker = await tcp(port);
    const answered = new Promise<void>((resolve) => talker.socket.once('data', () => { resolve(); }));
    talker.socket.write(options(1));
    await answered;
    const silent = await tcp(port);
    await silent.closed;
    expect(talker.isClosed()).toBe(false);
    const text = (await srv.server.metrics?.registry.metrics()) ?? '';
    expect(text).toMatch(/^sipts_connections_silent_closed_total 1$/m);
  });
});

describe('WebSocket Origin allow-list (issue 16, finding 12)', () => {
  it('by default refuses a page of another site (403) and accepts pages of its own names and non-browser clients', async () => {
    srv = await startServer();
    const port = srv.target('WS').port;
    expect(await handshake(port, 'https://evil.example')).toBe(403);
    expect(await handshake(port, 'null')).toBe(403);
    expect(await handshake(port, 'http://127.0.0.1:5173')).toBe(101);
    expect(await handshake(port, 'http://localhost:3000')).toBe(101);
    expect(await handshake(port, undefined)).toBe(101);
  });

  it('accepts the origins of listen.allowedOrigins', async () => {
    srv = await startServer({ listen: { allowedOrigins: ['https://phone.example.com'] } });
    const port = srv.target('WS').port;
    expect(await handshake(port, 'https://phone.example.com')).toBe(101);
    expect(await handshake(port, 'https://phone.example.com:8443')).toBe(403);
  });

  it('compares origins in canonical form and never trusts a wildcard listen address', () => {
    const check = createOriginCheck({ allowed: ['HTTPS://Phone.Example.com:443/'], ownHosts: ['0.0.0.0', '::', 'sip.example.com', '[2001:db8::1]'] });
    expect(check('https://phone.example.com')).toBe(true);
    expect(check('http://0.0.0.0:8080')).toBe(false);
    expect(check('https://sip.example.com:8443')).toBe(true);
    expect(check('http://[2001:db8::1]:80')).toBe(true);
    expect(check('ftp://sip.example.com')).toBe(false);
    expect(check('not a url')).toBe(false);
  });
});
