/**
 * The classic `sip` package's proxy module (npm sip@0.0.6, a devDependency of bench), UDP only on
 * 127.0.0.1: `proxy.start({port, address, hostname, tcp: false}, (rq) => { rq.uri = uas; proxy.send(rq); })`.
 * argv[2]: JSON {port, uas, rcvbuf}. Talks to main.mjs over IPC (../transaction/uas-ipc.mjs).
 */
import { createRequire } from 'node:module';
import { serveParent } from '../transaction/uas-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const require = createRequire(import.meta.url);
const proxy = require('sip/proxy');
const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const counters = { requests: 0 };
// `hostname` other than 127.0.0.1: sip@0.0.6 takes a next hop whose host equals its hostname for
// itself (a flow token lookup) and answers 404, so with the default the UAS on 127.0.0.1 is unreachable.
proxy.start({ port: opts.port, address: '127.0.0.1', hostname: 'classic-proxy.invalid', tcp: false }, (rq) => {
  counters.requests++;
  rq.uri = opts.uas;
  proxy.send(rq);
});
serveParent({ port: opts.port, counters: () => ({ ...counters }), // proxy.stop is undefined in sip@0.0.6 (a documented gap): the process just exits.
  stop: () => undefined });
