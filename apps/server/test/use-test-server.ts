/**
 * The per-test setup of the in-process server tests: a fresh {@link startServer} before each
 * test, and after it the UAs the test made closed and the server stopped.
 */
import type { TransportProtocol } from '@sipts/transport';
import { afterEach, beforeEach } from 'vitest';
import { createUa, startServer, type TestServer, type TestUa } from './helpers.js';

/** The current test's server and the UAs made on it. */
export interface ServerFixture {
  /** The running server (throws outside a test). */
  readonly srv: TestServer;
  /** A UA for `user` over `protocol` on the current server, closed after the test. */
  ua(user: string, protocol: TransportProtocol, password?: string): Promise<TestUa>;
  /** Stops the current server and starts another with these `startServer` arguments. */
  restart(...args: Parameters<typeof startServer>): Promise<TestServer>;
}

/**
 * Registers `beforeEach`/`afterEach` hooks that run a server started with `overrides` (config,
 * deep-merged over the test defaults) for each test of the calling file.
 * @example
 * const fx = useTestServer();
 * it('…', async () => { const alice = await fx.ua('alice', 'UDP'); … fx.srv.store … });
 */
export function useTestServer(overrides: Record<string, unknown> = {}): ServerFixture {
  let current: TestServer | undefined;
  const uas: TestUa[] = [];

  beforeEach(async () => {
    current = await startServer(overrides);
  });
  afterEach(async () => {
    for (const u of uas.splice(0)) await u.close();
    await current?.stop();
    current = undefined;
  });

  const fixture: ServerFixture = {
    get srv() {
      if (current === undefined) throw new Error('no server: use it inside a test');
      return current;
    },
    async ua(user, protocol, password) {
      const u = await createUa(fixture.srv, user, protocol, password);
      uas.push(u);
      return u;
    },
    async restart(...args) {
      await fixture.srv.stop();
      current = await startServer(...args);
      return current;
    },
  };
  return fixture;
}
