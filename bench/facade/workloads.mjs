/**
 * The four workloads of the facade bench and how one run of each is set up: which app, which
 * sipp scenario as load, which sipp (if any) as the far end. Shared by main.mjs and budget.mjs.
 */
import { fileURLToPath } from 'node:url';
import { startUas } from '../transaction/proc.mjs';
import { freePort } from '../free-port.mjs';
import { startSippUas } from './sipp-peers.mjs';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const OPTIONS_UAC = ['-sf', here('../transaction/options-uac.xml')];
const OPTIONS_UAS = ['-sf', here('options-uas.xml')];

/** The far end of a proxy listens here: sip@0.0.6 takes a next hop on its own host (127.0.0.1) for itself. */
export const FAR_HOST = '127.0.0.2';

/**
 * unit: what one sipp "call" is. load: the sipp UAC scenario. far: the sipp UAS scenario behind a
 * proxy (undefined for a UAS workload).
 */
export const WORKLOADS = {
  'uas-options': { title: 'UAS, OPTIONS', app: 'uas.mjs', unit: 'transaction', load: OPTIONS_UAC },
  'uas-calls': { title: 'UAS, INVITE/180/200/ACK/BYE calls', app: 'uas.mjs', unit: 'call', load: ['-sn', 'uac'] },
  'proxy-options': { title: 'proxy, OPTIONS', app: 'proxy.mjs', unit: 'proxied transaction', load: OPTIONS_UAC, far: OPTIONS_UAS },
  'proxy-calls': { title: 'proxy, calls (Record-Route)', app: 'proxy.mjs', unit: 'proxied call', load: ['-sn', 'uac'], far: ['-sn', 'uas'] },
};

/**
 * Starts one run's processes: the far sipp (proxy workloads) and the app on `impl`, pinned to
 * CPU 0 (sipps on CPU 1). Returns the app's port, its IPC handle and a stop() for all of it.
 */
export async function startWorkload({ workload, impl, dir, pinned, rcvbuf, profile, samplingIntervalUs, execArgv = [], timeoutMs }) {
  const w = WORKLOADS[workload];
  let far;
  let uasUri;
  if (w.far !== undefined) {
    const farPort = await freePort(FAR_HOST);
    far = await startSippUas({ dir, host: FAR_HOST, port: farPort, scenario: w.far, cpu: 1, pinned, timeoutMs });
    uasUri = `sip:service@${FAR_HOST}:${String(farPort)}`;
  }
  const port = await freePort();
  let app;
  try {
    app = await startUas(`../facade/${w.app}`, { impl, port, uas: uasUri, rcvbuf, profile, samplingIntervalUs }, { cpu: 0, pinned, execArgv, timeoutMs });
  } catch (e) {
    await far?.stop();
    throw e;
  }
  return {
    port,
    app,
    async stop() {
      await app.stop();
      await far?.stop();
    },
  };
}
