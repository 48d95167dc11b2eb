/**
 * The measured server: `createTransportLayer` from the built @sipts/transport, UDP, TCP and TLS on
 * ephemeral loopback ports, and a handler that answers every OPTIONS with makeResponse(rq, 200)
 * through sendResponse (RFC 3261 §18.2.2 routing, as in production). No transaction layer.
 *
 * argv[2]: JSON {host, cert?, key?}. Talks to main.mjs over IPC (server-ipc.mjs).
 */
import { readFileSync } from 'node:fs';
import { makeResponse } from '@sipts/message';
import { createTransportLayer } from '@sipts/transport/node';
import { serveParent } from './server-ipc.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const host = opts.host ?? '127.0.0.1';
let handlerErrors = 0;

const layer = createTransportLayer(
  {
    address: host,
    udp: { port: 0 },
    tcp: { port: 0 },
    ...(opts.cert !== undefined ? { tls: { port: 0, key: readFileSync(opts.key, 'utf8'), cert: readFileSync(opts.cert, 'utf8') } } : {}),
    // The idle-connection measurement opens 1,000 connections from one address.
    limits: { maxConnectionsPerAddress: 5000 },
  },
  {
    onRequest(rq, remote) {
      if (rq.method !== 'OPTIONS') return;
      layer.sendResponse(makeResponse(rq, 200), remote).catch(() => {
        handlerErrors++;
      });
    },
    onResponse() {},
  },
);
await layer.start();

const ports = {};
for (const l of layer.listening) ports[l.protocol.toLowerCase()] = l.port;

serveParent({
  ports,
  open: () => layer.stats.connectionsOpened - layer.stats.connectionsClosed,
  stats: () => ({ ...layer.stats, handlerErrors }),
  stop: () => layer.stop(),
});
