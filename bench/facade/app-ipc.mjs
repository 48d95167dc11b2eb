/**
 * Shared by the facade bench's apps (uas.mjs, proxy.mjs): loads the classic API from the package
 * under test, serves main.mjs over IPC (../transaction/uas-ipc.mjs) and, for budget.mjs, runs the
 * V8 CPU profiler (the one behind `node --cpu-prof`) over the measured window only, so module
 * loading and start-up are not in the profile.
 *
 * IPC on top of uas-ipc.mjs: `{cmd: 'profile-start'}` → `{type: 'profile-started'}`;
 * `{cmd: 'profile-stop'}` writes the profile to the file named by the app's `profile` argument
 * and answers `{type: 'profile-written', file}`. For alloc.mjs: `{cmd: 'alloc-start'}` (two full
 * GCs when the app runs with --expose-gc, then the heap and CPU marks) → `{type: 'alloc-started'}`;
 * `{cmd: 'alloc-stop'}` → `{type: 'alloc', bytes, cpuUs, gcs}`: heap growth since the mark (the
 * bytes allocated, as long as `gcs`, the collections in between, is 0) and CPU µs (user+sys).
 */
import { createRequire } from 'node:module';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { serveParent } from '../transaction/uas-ipc.mjs';

const require = createRequire(import.meta.url);

/**
 * The classic API as a user's `require()` gets it: npm `sip@0.0.6` or `@sipts/sip` (its CJS dist;
 * build it first). `sub` is '' or '/proxy'.
 */
export function loadClassicApi(impl, sub = '') {
  if (impl === 'classic') return require(`sip${sub}`);
  if (impl === 'sipts') return require(`@sipts/sip${sub}`);
  throw new Error(`unknown implementation ${String(impl)} (sipts or classic)`);
}

/**
 * With BENCH_ALLOC_HEAP_PROFILE=<prefix> in the environment, the alloc window is also sampled by
 * V8's sampling heap profiler (every 512 B on average) and written to `<prefix>-<pid>.heapprofile`
 * (Chrome DevTools' format). No collection runs in the window, so every sample is there: where
 * the bytes were allocated, by function.
 */
const HEAP_PROFILE = process.env.BENCH_ALLOC_HEAP_PROFILE;
let heapSession;

function startHeapSampling(then) {
  heapSession = new Session();
  heapSession.connect();
  heapSession.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () => then());
}

function stopHeapSampling(then) {
  heapSession.post('HeapProfiler.stopSampling', (err, res) => {
    if (err === null) writeFileSync(`${HEAP_PROFILE}-${String(process.pid)}.heapprofile`, JSON.stringify(res.profile));
    heapSession.disconnect();
    then();
  });
}

/** serveParent plus the profiler commands (a no-op unless `profileFile` is given). */
export function serveBench({ port, counters, stop, profileFile, samplingIntervalUs = 250 }) {
  let session;
  const alloc = { heap: 0, cpu: process.cpuUsage(), gcs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    alloc.gcs += list.getEntries().length;
  });
  process.on('message', (m) => {
    if (m?.cmd === 'alloc-start') {
      globalThis.gc?.();
      globalThis.gc?.();
      gcObserver.disconnect();
      alloc.gcs = 0;
      gcObserver.observe({ entryTypes: ['gc'] });
      const begin = () => {
        alloc.heap = process.memoryUsage().heapUsed;
        alloc.cpu = process.cpuUsage();
        process.send({ type: 'alloc-started' });
      };
      if (HEAP_PROFILE === undefined) begin();
      else startHeapSampling(begin);
    } else if (m?.cmd === 'alloc-stop') {
      const cpu = process.cpuUsage(alloc.cpu);
      const bytes = process.memoryUsage().heapUsed - alloc.heap;
      // Entries are delivered asynchronously: let a collection that ran in the window be counted.
      const report = () => {
        setImmediate(() => {
          gcObserver.disconnect();
          process.send({ type: 'alloc', bytes, cpuUs: cpu.user + cpu.system, gcs: alloc.gcs });
        });
      };
      if (HEAP_PROFILE === undefined) report();
      else stopHeapSampling(report);
    } else if (m?.cmd === 'profile-start' && profileFile !== undefined) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable', () => {
        session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs }, () => {
          session.post('Profiler.start', () => process.send({ type: 'profile-started' }));
        });
      });
    } else if (m?.cmd === 'profile-stop' && session !== undefined) {
      session.post('Profiler.stop', (err, res) => {
        if (err === null) writeFileSync(profileFile, JSON.stringify(res.profile));
        session.disconnect();
        session = undefined;
        process.send({ type: 'profile-written', file: profileFile, error: err === null ? undefined : String(err.message ?? err) });
      });
    }
  });
  serveParent({ port, counters, stop });
}
