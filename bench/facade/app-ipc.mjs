/**
 * Shared by the facade bench's apps (uas.mjs, proxy.mjs): loads the classic API from the package
 * under test, serves main.mjs over IPC (../transaction/uas-ipc.mjs) and, for budget.mjs, runs the
 * V8 CPU profiler (the one behind `node --cpu-prof`) over the measured window only, so module
 * loading and start-up are not in the profile.
 *
 * IPC on top of uas-ipc.mjs: `{cmd: 'profile-start'}` → `{type: 'profile-started'}`;
 * `{cmd: 'profile-stop'}` writes the profile to the file named by the app's `profile` argument
 * and answers `{type: 'profile-written', file}`.
 */
import { createRequire } from 'node:module';
import { Session } from 'node:inspector';
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

/** serveParent plus the profiler commands (a no-op unless `profileFile` is given). */
export function serveBench({ port, counters, stop, profileFile, samplingIntervalUs = 250 }) {
  let session;
  process.on('message', (m) => {
    if (m?.cmd === 'profile-start' && profileFile !== undefined) {
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
