/**
 * A classic-API UAS, written as a user of the classic `sip` package writes one
 * (`sip.start(options, onRequest)`, `sip.send(sip.makeResponse(rq, status, reason))`), run on the
 * package named by `impl`: npm `sip@0.0.6` ('classic') or `@sipts/sip` ('sipts', the built dist).
 * The same code for both; UDP only on 127.0.0.1.
 *   OPTIONS → 200
 *   INVITE → 180 and 200 with a To tag and a Contact; ACK is absorbed; BYE → 200
 * argv[2]: JSON {impl, port, rcvbuf, profile?}. Talks to main.mjs / budget.mjs over IPC (app-ipc.mjs).
 */
import { loadClassicApi, serveBench } from './app-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const sip = loadClassicApi(opts.impl);
const counters = { requests: 0, answered: 0, acks: 0 };
let tags = 0;

sip.start({ port: opts.port, address: '127.0.0.1', udp: true, tcp: false, logger: {} }, (rq) => {
  counters.requests++;
  switch (rq.method) {
    case 'OPTIONS':
      counters.answered++;
      sip.send(sip.makeResponse(rq, 200, 'OK'));
      return;
    case 'INVITE': {
      const ringing = sip.makeResponse(rq, 180, 'Ringing');
      // the classic makeResponse shares the request's To object: copy it before tagging
      ringing.headers.to = { ...rq.headers.to, params: { ...rq.headers.to.params, tag: `b${(tags++).toString(36)}` } };
      sip.send(ringing);
      const ok = sip.makeResponse(rq, 200, 'OK');
      ok.headers.to = ringing.headers.to;
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

serveBench({ port: opts.port, counters: () => ({ ...counters }), stop: () => sip.stop(), profileFile: opts.profile, samplingIntervalUs: opts.samplingIntervalUs });
