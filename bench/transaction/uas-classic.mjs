/**
 * The same UAS on the classic `sip` package (npm sip@0.0.6, a devDependency of bench), UDP only
 * on 127.0.0.1: `sip.start({port, udp: true, tcp: false, address}, onRequest)` and
 * `sip.send(sip.makeResponse(rq, 200, 'OK'))`. Its server transactions keep Timer J 32 s too.
 *   mode 'options': OPTIONS → 200 (after `delayMs` when given)
 *   mode 'call':    INVITE → 180 and 200 (with a To tag; the classic core does not retransmit
 *                   2xx), ACK (reaches onRequest), BYE → 200
 * argv[2]: JSON {port, mode, delayMs, rcvbuf}. Talks to main.mjs over IPC (uas-ipc.mjs).
 */
import { createRequire } from 'node:module';
import { createDelayQueue, serveParent } from './uas-ipc.mjs';
import { enlargeUdpBuffers } from './udp-buffers.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');
const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const delayed = createDelayQueue(opts.delayMs ?? 0);
const counters = { requests: 0, answered: 0, acks: 0 };
let tags = 0;

sip.start({ port: opts.port, udp: true, tcp: false, address: '127.0.0.1' }, (rq) => {
  counters.requests++;
  switch (rq.method) {
    case 'OPTIONS':
      delayed.push(() => {
        counters.answered++;
        sip.send(sip.makeResponse(rq, 200, 'OK'));
      });
      return;
    case 'INVITE': {
      const rs180 = sip.makeResponse(rq, 180, 'Ringing');
      // makeResponse shares the request's To object: copy it before tagging.
      rs180.headers.to = { ...rq.headers.to, params: { ...rq.headers.to.params, tag: `c${(tags++).toString(36)}` } };
      sip.send(rs180);
      const ok = sip.makeResponse(rq, 200, 'OK');
      ok.headers.to = rs180.headers.to;
      ok.headers.contact = [{ uri: `sip:uas@127.0.0.1:${String(opts.port)}` }];
      counters.answered++;
      sip.send(ok);
      return;
    }
    case 'ACK':
      counters.acks++;
      return;
    case 'BYE':
      counters.answered++;
      sip.send(sip.makeResponse(rq, 200, 'OK'));
      return;
    default:
      sip.send(sip.makeResponse(rq, 501, 'Not Implemented'));
  }
});

serveParent({ port: opts.port, counters: () => ({ ...counters }), stop: () => sip.stop() });
