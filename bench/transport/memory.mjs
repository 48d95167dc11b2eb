/**
 * Memory per idle connection: a fresh server process (bare node:net/node:tls echo, or the transport
 * layer), a warm-up of 50 connections opened and closed, then `n` idle connections from this
 * process (nothing sent on them). The server reports its memory after two full GCs before, while
 * they are open, and after they are closed; (during - before) / n is the cost of one connection.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startServer } from './child.mjs';

function openOne(protocol, host, port, ca) {
  return new Promise((resolve, reject) => {
    const s =
      protocol === 'TLS'
        ? tlsConnect({ host, port, ca, servername: 'localhost' }, () => resolve(s))
        : tcpConnect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

async function openMany(protocol, host, port, ca, n) {
  const sockets = [];
  for (let done = 0; done < n; done += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - done) }, () => openOne(protocol, host, port, ca)));
    for (const s of batch) {
      s.on('error', () => undefined);
      sockets.push(s);
    }
  }
  return sockets;
}

/** Polls the server until `open` connections are counted (at most `ms`). */
async function untilOpen(server, open, ms) {
  const until = Date.now() + ms;
  for (;;) {
    server.send({ cmd: 'stats' });
    const s = await server.next('stats', 5000);
    if (s.open === open) return;
    if (Date.now() > until) throw new Error(`the server counts ${s.open} open connections, expected ${open}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function mem(server) {
  await new Promise((r) => setTimeout(r, 200));
  server.send({ cmd: 'mem' });
  return server.next('mem', 10_000);
}

/**
 * Measures one (server kind, protocol).
 * @returns {Promise<{ok: boolean, kind, protocol, n, before?, during?, after?, perConnection?, error?}>}
 */
export async function idleMemory({ kind, protocol, n, host, cert, key }) {
  const server = await startServer(kind, { host, cert, key });
  const port = server.ports[protocol.toLowerCase()];
  const ca = protocol === 'TLS' ? readFileSync(cert) : undefined;
  let sockets = [];
  try {
    const warm = await openMany(protocol, host, port, ca, 50);
    await untilOpen(server, 50, 10_000);
    for (const s of warm) s.destroy();
    await untilOpen(server, 0, 10_000);
    const before = await mem(server);
    sockets = await openMany(protocol, host, port, ca, n);
    await untilOpen(server, n, 15_000);
    const during = await mem(server);
    for (const s of sockets) s.destroy();
    sockets = [];
    await untilOpen(server, 0, 15_000);
    const after = await mem(server);
    const per = (k) => (during[k] - before[k]) / n;
    return {
      ok: true,
      kind,
      protocol,
      n,
      before,
      during,
      after,
      perConnection: {
        rss: per('rss'),
        heapUsed: per('heapUsed'),
        external: per('external'),
        arrayBuffers: per('arrayBuffers'),
        // Outside the V8 heap: libuv handles, Node's wraps, OpenSSL state (malloc).
        native: (during.rss - during.heapTotal - (before.rss - before.heapTotal)) / n,
      },
    };
  } catch (e) {
    return { ok: false, kind, protocol, n, error: String(e?.message ?? e) };
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
}
