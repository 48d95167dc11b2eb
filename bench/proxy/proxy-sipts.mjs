/**
 * The measured proxy: createProxyStack from the built @sipts/proxy (UDP on 127.0.0.1, Record-Route
 * on, default RFC timers). Every request, ACKs and BYEs included, is sent to the sipp UAS, as the
 * classic one-liner does (sipp's built-in `uas` does not echo Record-Route, so sipp's built-in
 * `uac` sends its ACK and BYE to the proxy with no Route).
 * argv[2]: JSON {port, uas, rcvbuf}. `{cmd: 'gc'}` answers the memory after a forced GC (run with --expose-gc). Talks to main.mjs over IPC (../transaction/uas-ipc.mjs).
 */
import { createProxyStack } from '@sipts/proxy/node';
import { serveParent } from '../transaction/uas-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const counters = { requests: 0 };
const ref = {};
const instance = createProxyStack({ address: '127.0.0.1', udp: { port: opts.port }, recordRoute: true }, (rq) => {
  counters.requests++;
  ref.proxy.send(rq, { targets: [opts.uas] });
});
ref.proxy = instance.proxy;
await instance.start();
// The soak's memory sample (main.mjs): a full GC first (`--expose-gc`), so the heap read is what is retained.
process.on('message', (m) => {
  if (m?.cmd !== 'gc') return;
  globalThis.gc?.();
  const mem = process.memoryUsage();
  process.send({ type: 'gced', collected: typeof globalThis.gc === 'function', rss: mem.rss, heapUsed: mem.heapUsed, contexts: instance.proxy.contexts, transactions: instance.stack.transactions });
});
serveParent({
  port: opts.port,
  counters: () => ({ ...counters, contexts: instance.proxy.contexts, transactions: instance.stack.transactions }),
  stop: () => instance.stop(),
});
