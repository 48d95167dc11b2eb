/**
 * The per-test setup of the interop tests that drive an in-process server with real peers: a
 * fresh temp dir, memory store and server before each test; after it, the peers still running
 * killed, the server stopped and the dir removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildren } from '@sipts/test-peers';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { createMemoryStore, type LocationStore } from '../../src/store/index.js';
import { startServer, type TestServer } from './server-harness.js';

/** The current test's dir, store and server. */
export interface InteropServer {
  /** The test's temp dir (config, sipp's files). */
  readonly work: string;
  /** The memory store the server was started on, to look into. */
  readonly store: LocationStore;
  /** The running server (throws when there is none). */
  readonly server: TestServer;
  /** Stops the server and starts another in the same dir with `options` (its own store, if given). */
  restart(options: Parameters<typeof startServer>[1]): Promise<TestServer>;
}

/**
 * Registers the hooks that give each test of the calling file a server started with `overrides`
 * (merged over the config of `writeConfig`) in a temp dir named after `prefix`. Hooks the file
 * registers after this one run after the server started, and their `afterEach` before it stops.
 */
export function useInteropServer(prefix: string, overrides: Record<string, unknown> = {}): InteropServer {
  let work = '';
  let store: LocationStore | undefined;
  let server: TestServer | undefined;

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), prefix));
    store = createMemoryStore();
    server = await startServer(work, { store, overrides });
  });

  afterEach(async () => {
    killChildren();
    await server?.stop();
    server = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  afterAll(() => {
    killChildren();
  });

  return {
    get work() {
      return work;
    },
    get store() {
      if (store === undefined) throw new Error('no store: use it inside a test');
      return store;
    },
    get server() {
      if (server === undefined) throw new Error('no server');
      return server;
    },
    async restart(options) {
      await server?.stop();
      server = await startServer(work, options);
      return server;
    },
  };
}
