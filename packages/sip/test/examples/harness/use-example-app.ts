/**
 * The setup every example test shares: build the facade once, start apps/<name>.cjs on a free
 * SIP port before the file's tests, and after them kill the peers still running and stop the app.
 */
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, expect } from 'vitest';
import { startApp, type App } from './app.js';
import { ensureFacadeBuilt } from './impl.js';
import { killPeers, runSipp, type SippOptions, type SippRun } from './sipp.js';

/** The app of a test file, readable once its `beforeAll` has run. */
export interface ExampleApp {
  /** The running app (throws before it started). */
  readonly app: App;
  /** Its SIP port on 127.0.0.1 (UDP and TCP). */
  readonly port: number;
  /** `127.0.0.1:<port>`, the `remote` of a sipp UAC. */
  readonly remote: string;
  /**
   * Runs sipp scenario `scenario` against the app and expects it to exit 0 (on failure the
   * message holds sipp's tail and the app's output).
   */
  sipp(scenario: string, options?: Omit<SippOptions, 'remote'>): Promise<SippRun>;
}

/**
 * Registers the `beforeAll`/`afterAll` hooks that run example app `name` for the calling test
 * file. `env` gives the app's settings besides SIP_PORT; it is called in the `beforeAll`, after
 * the SIP port is chosen, so it may pick more ports or write files. Hooks the file registers
 * after this one run after the app started, and (vitest's default stack order) their `afterAll`
 * runs before the app is stopped.
 * @example
 * const ex = useExampleApp('redirect-server', () => ({ BACKUP_HOST: 'backup.example.net' }));
 * it('…', async () => { const run = await ex.sipp('invite-302', { service: 'alice' }); … });
 */
export function useExampleApp(name: string, env: (port: number) => Record<string, string> | Promise<Record<string, string>> = () => ({})): ExampleApp {
  let app: App | undefined;
  let port = 0;

  beforeAll(() => {
    ensureFacadeBuilt();
  }, 200_000);

  beforeAll(async () => {
    port = await freePort();
    app = await startApp(name, { SIP_PORT: String(port), ...(await env(port)) }, port);
  });

  afterAll(async () => {
    killPeers();
    await app?.stop();
  });

  const ex: ExampleApp = {
    get app() {
      if (app === undefined) throw new Error(`${name} is not running`);
      return app;
    },
    get port() {
      return port;
    },
    get remote() {
      return `127.0.0.1:${String(port)}`;
    },
    async sipp(scenario, options = {}) {
      const run = await runSipp(scenario, { ...options, remote: ex.remote });
      expect(run.code, `${run.tail}\n${ex.app.output()}`).toBe(0);
      return run;
    },
  };
  return ex;
}
