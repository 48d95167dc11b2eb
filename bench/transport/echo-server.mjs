/**
 * The ceiling: bare Node servers that send every datagram back (node:dgram) and echo every byte of
 * a TCP or TLS connection (node:net, node:tls). No parsing; the generator matches the echoed
 * requests by branch exactly as it matches the transport layer's 200 responses.
 *
 * argv[2]: JSON {host, cert?, key?}. Talks to main.mjs over IPC (server-ipc.mjs).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { serveParent } from './server-ipc.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const host = opts.host ?? '127.0.0.1';
let open = 0;

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
}

function echo(socket) {
  open++;
  socket.setNoDelay(true);
  socket.on('data', (d) => socket.write(d));
  socket.on('error', () => undefined);
  socket.on('close', () => open--);
}

const udp = createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
udp.on('error', () => undefined);
await new Promise((resolve) => udp.bind(0, host, resolve));

const tcp = createTcpServer({ noDelay: true }, echo);
const ports = { udp: udp.address().port, tcp: await listen(tcp) };
let tls;
if (opts.cert !== undefined) {
  tls = createTlsServer({ key: readFileSync(opts.key), cert: readFileSync(opts.cert) }, echo);
  tls.on('tlsClientError', () => undefined);
  ports.tls = await listen(tls);
}

serveParent({
  ports,
  open: () => open,
  stop: async () => {
    udp.close();
    tcp.close();
    tls?.close();
  },
});
