/**
 * The Redis store on a real Redis Cluster (3 masters, 1 replica each) started here on loopback:
 * the store contract, bindings spread over the masters, nonce counts and the secret shared by
 * instances, and two sipts servers carrying on through the failover of the master that holds a
 * callee's binding. Skipped (with the reason) only when redis-server is not installed.
 */
import { randomUUID } from 'node:crypto';
import type { SipResponse } from '@sipts/message';
import { sleep } from '@sipts/test-peers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/index.js';
import { REDIS_SLICES, sliceOf } from '../../src/store/redis-store.js';
import { createUa, startServer, type TestServer, type TestUa } from '../helpers.js';
import { storeContract } from './contract.js';
import { clusterUnavailable, roles, startRedisCluster, type RedisCluster } from './redis-cluster.js';

const unavailable = clusterUnavailable();
let cluster: RedisCluster | undefined;
const running = (): RedisCluster => {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return cluster;
};
const seeds = (): string[] => running().nodes.map((n) => n.url);

/** The port of the live master serving `key`'s slot, as the node on `ask` (default the first) sees it. */
async function masterOf(key: string, ask = running().nodes[0]?.port ?? 0): Promise<number> {
  const c = running();
  const slot = Number((await c.cli(ask, 'cluster', 'keyslot', key)).trim());
  const out = await c.cli(ask, 'cluster', 'nodes');
  for (const line of out.trim().split('\n')) {
    const cols = line.split(' ');
    if (!(cols[2] ?? '').includes('master') || (cols[2] ?? '').includes('fail')) continue;
    for (const range of cols.slice(8)) {
      const [from, to] = range.split('-').map(Number);
      if (from !== undefined && slot >= from && slot <= (to ?? from)) return Number(/:(\d+)@/.exec(cols[1] ?? '')?.[1]);
    }
  }
  throw new Error(`no live master serves slot ${String(slot)}`);
}

describe.skipIf(unavailable !== undefined)(`redis cluster${unavailable !== undefined ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  storeContract('redis cluster', {
    shared: true,
    persistent: true,
    setup: () => {
      const prefix = `t:${randomUUID()}:`;
      return Promise.resolve({
        open: () => Promise.resolve(createRedisStore({ url: 'redis://unused', clusterNodes: seeds(), prefix })),
        dispose: () => Promise.resolve(),
      });
    },
  });

  it('spreads the slices of the bindings over all three masters', async () => {
    const prefix = `spread:${randomUUID()}:`;
    const masters = new Set<number>();
    for (let n = 0; n < REDIS_SLICES; n++) masters.add(await masterOf(`{${prefix}${String(n)}}expiry`));
    expect(masters.size).toBe(3);
  });

  it('shares nonce counts and the secret between two instances (a nonce used on one is a replay on the other)', async () => {
    const prefix = `nc:${randomUUID()}:`;
    const one = createRedisStore({ url: 'redis://unused', clusterNodes: seeds(), prefix, noncesPerUser: 16 });
    const two = createRedisStore({ url: 'redis://unused', clusterNodes: seeds(), prefix, noncesPerUser: 16 });
    try {
      const t = Date.now();
      const use = { nonce: 'n1', nc: 1, issuedAt: t, expiresAt: t + 60_000, username: 'alice' };
      expect(await one.nonceCounts.advance(use)).toBe('ok');
      expect(await two.nonceCounts.advance(use)).toBe('replay');
      expect(await two.nonceCounts.advance({ ...use, nc: 2 })).toBe('ok');
      // 16 per user: alice's 17 newer nonces push n1 out; bob's count is untouched.
      expect(await one.nonceCounts.advance({ ...use, nonce: 'b1', username: 'bob' })).toBe('ok');
      for (let i = 0; i < 17; i++) expect(await one.nonceCounts.advance({ ...use, nonce: `a${String(i)}`, issuedAt: t + 1 + i })).toBe('ok');
      expect(await two.nonceCounts.advance({ ...use, nc: 3 })).toBe('forgotten');
      expect(await two.nonceCounts.advance({ ...use, nonce: 'b1', username: 'bob', nc: 2 })).toBe('ok');
      const secret = await one.sharedSecret('first-instance-candidate');
      expect(await two.sharedSecret('second-instance-candidate')).toBe(secret);
      expect(secret).toBe('first-instance-candidate');
    } finally {
      await one.close();
      await two.close();
    }
  });

  describe('two sipts servers on the cluster', () => {
    const servers: TestServer[] = [];
    const uas: TestUa[] = [];
    afterEach(async () => {
      for (const u of uas.splice(0)) await u.close();
      for (const s of servers.splice(0)) await s.stop();
    });

    async function pair(extra: Record<string, unknown> = {}): Promise<{ a: TestServer; b: TestServer; prefix: string }> {
      const prefix = `srv:${randomUUID()}:`;
      const config = { store: { kind: 'redis', prefix, cluster: { nodes: seeds() } }, limits: { registerPerSecondPerSource: 0 }, ...extra };
      const a = await startServer({ ...config, instanceId: 'a' }, createRedisStore({ url: 'redis://unused', clusterNodes: seeds(), prefix }));
      const b = await startServer({ ...config, instanceId: 'b' }, createRedisStore({ url: 'redis://unused', clusterNodes: seeds(), prefix }));
      servers.push(a, b);
      return { a, b, prefix };
    }

    it('refuses on B a REGISTER replayed from A (shared nonce counts; the secret is shared too)', async () => {
      // With a configured secret both instances accept each other's nonces: only shared counts stop the replay.
      const { a, b } = await pair({ auth: { secret: 'one secret for both instances!!' } });
      const onA = await createUa(a, 'alice', 'UDP');
      const onB = await createUa(b, 'alice', 'UDP');
      uas.push(onA, onB);
      const rq = onA.registerRequest();
      const signed = onA.auth.authorize(rq, await onA.sendRaw(rq));
      expect((await onA.sendRaw(signed)).status).toBe(200);
      const replay = await onB.sendRaw(signed);
      expect(replay.status).toBe(401);
      expect(replay.headers['www-authenticate']?.[0]?.stale).toBeUndefined();
      // Without a configured secret the instances take one from Redis: a nonce from A works on B.
      const { a: a2, b: b2 } = await pair();
      const c2 = await createUa(a2, 'bob', 'UDP');
      const d2 = await createUa(b2, 'bob', 'UDP');
      uas.push(c2, d2);
      const rq2 = c2.registerRequest();
      const challenge = await c2.sendRaw(rq2);
      expect((await d2.sendRaw(d2.auth.authorize(d2.registerRequest(), challenge))).status).toBe(200);
    });

    it('carries on through the failover of the master holding the callee, losing no binding', async () => {
      const { a, b, prefix } = await pair();
      const alice = await createUa(a, 'alice', 'UDP');
      const bob = await createUa(b, 'bob', 'UDP');
      uas.push(alice, bob);
      expect((await alice.register()).status).toBe(200);
      expect((await bob.register()).status).toBe(200);
      const message = async (text: string): Promise<SipResponse> => bob.send(bob.request('MESSAGE', 'sip:alice@localhost', 'sip:alice@localhost', { 'content-type': 'text/plain' }, text));
      expect((await message('before')).status).toBe(200);

      const c = running();
      const key = `{${prefix}${String(sliceOf('sip:alice@localhost'))}}expiry`;
      const victim = await masterOf(key);
      // The replica has every write (alice's binding) before the master dies: offsets match.
      const replicated = async (): Promise<boolean> => {
        const info = await c.cli(victim, 'info', 'replication');
        const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
        return offset !== undefined && new RegExp(`slave0:.*offset=${offset},`).test(info);
      };
      for (let i = 0; i < 100 && !(await replicated()); i++) await sleep(50);
      expect(await replicated()).toBe(true);
      const node = c.nodes.find((n) => n.port === victim);
      await node?.kill();

      // Calls go on while the replica takes over: each is answered (200, or 500 while the slot has
      // no master); the failover is over when another node serves the slot and the cluster is ok.
      const answers: number[] = [];
      const survivor = c.nodes.find((n) => n.port !== victim)?.port ?? 0;
      let promoted = false;
      for (let i = 0; i < 200 && !promoted; i++) {
        answers.push((await message(`during ${String(i)}`)).status);
        const r = await roles(c, survivor).catch(() => undefined);
        promoted = r?.get(victim)?.failed === true && (await masterOf(key, survivor).catch(() => victim)) !== victim;
        if (!promoted) await sleep(100);
      }
      expect(promoted).toBe(true);
      await c.waitOk(survivor);
      expect(answers.every((s) => s === 200 || s === 500)).toBe(true);
      // After the failover every call goes through: alice's binding survived on the new master
      // (the client may need a few tries to learn the new slot owner).
      let after = 0;
      for (let i = 0; i < 50 && after === 0; i++) {
        if ((await message('after')).status === 200) after++;
        else await sleep(100);
      }
      expect(after).toBe(1);
      for (let i = 0; i < 5; i++) expect((await message(`after ${String(i)}`)).status).toBe(200);
      expect((await alice.register()).status).toBe(200);
      expect(alice.received.filter((r) => r.request.method === 'MESSAGE').length).toBeGreaterThanOrEqual(7);
    }, 60_000);
  });
});
