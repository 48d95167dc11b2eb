/**
 * The harness ceiling: a bare node:dgram responder with no SIP stack, which answers each OPTIONS
 * with a 200 built by copying its Via, From, To, Call-ID and CSeq lines (no parsing, no
 * transaction). What sipp and one Node process on this machine can do at most.
 * argv[2]: JSON {port, rcvbuf}. Talks to main.mjs over IPC (uas-ipc.mjs).
 */
import { createSocket } from 'node:dgram';
import { serveParent } from './uas-ipc.mjs';
import { enlargeUdpBuffers } from './udp-buffers.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const counters = { requests: 0, answered: 0 };
const COPY = /^(via|v|from|f|to|t|call-id|i|cseq):/i;

const socket = createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  counters.requests++;
  const text = msg.toString('latin1');
  if (!text.startsWith('OPTIONS ')) return;
  let out = 'SIP/2.0 200 OK\r\n';
  for (const line of text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n')) if (COPY.test(line)) out += `${line}\r\n`;
  out += 'Content-Length: 0\r\n\r\n';
  counters.answered++;
  socket.send(out, rinfo.port, rinfo.address);
});
await new Promise((resolve) => socket.bind(opts.port, '127.0.0.1', resolve));
if (opts.rcvbuf > 0) socket.setRecvBufferSize(opts.rcvbuf);

serveParent({ port: opts.port, counters: () => ({ ...counters }), stop: () => new Promise((r) => socket.close(r)) });
