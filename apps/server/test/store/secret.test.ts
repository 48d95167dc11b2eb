/**
 * The server secret across restarts (issue 16, finding 12): kept in the data dir (mode 0600) or a
 * configured file, so a nonce from before a restart is answered 401 `stale=true` (the phone
 * retries at once, without asking its user) and its replay is never accepted; per process with
 * the memory store. And the nonce counts per user inside the server.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipResponse } from '@sipts/message';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { serverSecret, SECRET_FILE } from '../../src/secret.js';
import { createUa, startServer, type TestServer, type TestUa } from '../helpers.js';

let dir = '';
const open: { servers: TestServer[]; uas: TestUa[] } = { servers: [], uas: [] };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipts-secret-'));
});
afterEach(async () => {
  for (const u of open.uas.splice(0)) await u.close();
  for (const s of open.servers.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function server(overrides: Record<string, unknown>): Promise<TestServer> {
  const s = await startServer(overrides);
  open.servers.push(s);
  return s;
}
async function ua(s: TestServer, user: string): Promise<TestUa> {
  const u = await createUa(s, user, 'UDP');
  open.uas.push(u);
  return u;
}
const staleOf = (rs: SipResponse): string | undefined => rs.headers['www-authenticate']?.[0]?.stale;

/** Registers alice on `first`, stops it, starts `second` and sends her old credentials there. */
async function acrossRestart(overrides: Record<string, unknown>): Promise<{ before: SipResponse; after: SipResponse; replay: SipResponse }> {
  const first = await server(overrides);
  const alice = await ua(first, 'alice');
  const rq = alice.registerRequest();
  const challenge = await alice.sendRaw(rq);
  expect(challenge.status).toBe(401);
  const signed = alice.auth.authorize(rq, challenge);
  const before = await alice.sendRaw(signed);
  await first.stop();
  open.servers.splice(open.servers.indexOf(first), 1);

  const second = await server(overrides);
  const again = await ua(second, 'alice');
  // The phone's next REGISTER reuses the nonce it holds (nc=2), as phones do.
  const next = again.registerRequest();
  const after = await again.sendRaw(again.auth.authorize(next, challenge));
  // An attacker replays the exact request the first server accepted.
  const replay = await again.sendRaw(signed);
  return { before, after, replay };
}

describe('server secret across restarts', () => {
  it('sqlite: keeps the secret in <dataDir>/secret (0600); an old nonce is 401 stale=true, its replay is refused', async () => {
    const { before, after, replay } = await acrossRestart({ store: { kind: 'sqlite' }, dataDir: dir });
    expect(before.status).toBe(200);
    expect(after.status).toBe(401);
    expect(staleOf(after)).toBe('true');
    expect(replay.status).toBe(401);
    const file = join(dir, SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('auth.secretFile: created when absent and used after a restart', async () => {
    const file = join(dir, 'conf', 'sipts.key');
    const { after } = await acrossRestart({ auth: { secretFile: file } });
    expect(staleOf(after)).toBe('true');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('auth.secret: the configured value, across restarts', async () => {
    const { after } = await acrossRestart({ auth: { secret: 'a configured secret of 32 chars!' } });
    expect(staleOf(after)).toBe('true');
  });

  it('memory store without a secret: a new one per process (an old nonce is unknown, no stale)', async () => {
    const { after } = await acrossRestart({ store: { kind: 'memory' } });
    expect(after.status).toBe(401);
    expect(staleOf(after)).toBeUndefined();
  });
});

describe('serverSecret', () => {
  it('reads an existing file and refuses one that is too short', async () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'tiny\n', { mode: 0o600 });
    await expect(serverSecret(parseConfig({ auth: { secretFile: file } }))).rejects.toThrow(/fewer than 16/);
    writeFileSync(file, 'sixteen-chars-or-more\n');
    await expect(serverSecret(parseConfig({ auth: { secretFile: file } }))).resolves.toMatchObject({ value: 'sixteen-chars-or-more', source: 'file' });
  });

  it('prefers auth.secret over every other source', async () => {
    const c = parseConfig({ auth: { secret: 'x'.repeat(20), secretFile: join(dir, 'unused') }, store: { kind: 'sqlite' }, dataDir: dir });
    await expect(serverSecret(c)).resolves.toStrictEqual({ value: 'x'.repeat(20), source: 'config' });
  });

  it('takes the secret a shared store keeps (the first instance writes it)', async () => {
    let kept: string | undefined;
    const store = {
      sharedSecret: (candidate: string) => {
        kept ??= candidate;
        return Promise.resolve(kept);
      },
    };
    const c = parseConfig({ store: { kind: 'redis' } });
    const one = await serverSecret(c, { store: store as never });
    const two = await serverSecret(c, { store: store as never });
    expect(one.source).toBe('store');
    expect(two.value).toBe(one.value);
  });
});

describe('nonce counts per user in the server', () => {
  it("bob's nonce stays usable while alice takes many nonces (one table for all users let her churn it)", async () => {
    // The REGISTER rate limit is not what this test is about.
    const s = await server({ limits: { registerPerSecondPerSource: 10_000, requestsPerSecondPerSource: 0 }, auth: { noncesPerUser: 16 } });
    const bob = await ua(s, 'bob');
    const alice = await ua(s, 'alice');
    const bobRq = bob.registerRequest();
    const bobChallenge = await bob.sendRaw(bobRq);
    expect((await bob.sendRaw(bob.auth.authorize(bobRq, bobChallenge))).status).toBe(200);
    // alice authenticates with 40 fresh nonces (each a new challenge).
    let firstOfAlice: SipResponse | undefined;
    for (let i = 0; i < 40; i++) {
      s.clock.now += 1; // nonces are ordered by their issue time (ms)
      const rq = alice.registerRequest();
      const ch = await alice.sendRaw(rq);
      firstOfAlice ??= ch;
      expect((await alice.sendRaw(alice.auth.authorize(rq, ch))).status).toBe(200);
    }
    // bob's next REGISTER with the nonce he holds (nc=2) is still accepted.
    const next = bob.registerRequest();
    expect((await bob.sendRaw(bob.auth.authorize(next, bobChallenge))).status).toBe(200);
    // alice's own oldest nonce was dropped (16 per user here): stale, never reopened for replay.
    if (firstOfAlice === undefined) throw new Error('no challenge');
    const old = alice.registerRequest();
    const rs = await alice.sendRaw(alice.auth.authorize(old, firstOfAlice));
    expect(rs.status).toBe(401);
    expect(staleOf(rs)).toBe('true');
  });
});
