/**
 * A classic-API proxy, written as a user of the classic `sip` package writes one with its
 * `sip/proxy` module: it records the route on INVITEs itself (the classic module has no option for
 * it), points the Request-URI at the UAS and forwards every request with `proxy.send(rq)`; the
 * module forwards the responses. Run on the package named by `impl`: npm `sip@0.0.6` ('classic')
 * or `@sipts/sip` ('sipts', `@sipts/sip/proxy`, the built dist). UDP only on 127.0.0.1.
 * `hostname` is not 127.0.0.1: sip@0.0.6 takes a next hop whose host is its own hostname for itself
 * (a flow-token look-up) and answers 404, so the UAS listens on 127.0.0.2.
 * argv[2]: JSON {impl, port, uas, rcvbuf, profile?}. Talks to main.mjs / budget.mjs over IPC (app-ipc.mjs).
 */
import { loadClassicApi, serveBench } from './app-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const proxy = loadClassicApi(opts.impl, '/proxy');
const counters = { requests: 0 };
const recordRoute = { uri: `sip:127.0.0.1:${String(opts.port)};lr` };

proxy.start({ port: opts.port, address: '127.0.0.1', hostname: 'bench-proxy.invalid', udp: true, tcp: false, logger: {} }, (rq) => {
  counters.requests++;
  if (rq.method === 'INVITE') rq.headers['record-route'] = [recordRoute, ...(rq.headers['record-route'] ?? [])];
  rq.uri = opts.uas;
  proxy.send(rq);
});

// proxy.stop is undefined in sip@0.0.6: that process just exits.
serveBench({ port: opts.port, counters: () => ({ ...counters }), stop: () => proxy.stop?.(), profileFile: opts.profile, samplingIntervalUs: opts.samplingIntervalUs });
