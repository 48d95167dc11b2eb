import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createRedisStore, openStore, SQLITE_FILE, type LocationStore } from '../../src/store/index.js';
import { sliceOf } from '../../src/store/redis-store.js';
import { binding, NOW } from './fixtures.js';

async function roundTrip(store: LocationStore): Promise<void> {
  try {
    await store.update('sip:a@x', { put: [binding('sip:a@x', 'k')], remove: [] }, NOW);
    expect(await store.lookup('sip:a@x', NOW)).toStrictEqual([binding('sip:a@x', 'k')]);
  } finally {
    await store.close();
  }
}

describe('openStore', () => {
  it('opens SQLite at <dataDir>/location.sqlite, creating the dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipts-open-'));
    try {
      const dataDir = join(dir, 'nested', 'data');
      await roundTrip(openStore({ kind: 'sqlite' }, dataDir));
      expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(true);
      // Reopened from config: the registration is still there.
      const again = openStore({ kind: 'sqlite' }, dataDir);
      expect(await again.count(NOW)).toBe(1);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens a memory store', async () => {
    await roundTrip(openStore({ kind: 'memory' }, '/nonexistent-never-created'));
    expect(existsSync('/nonexistent-never-created')).toBe(false);
  });

  it('opens Redis with the prefix', async () => {
    const redis = await startRedis();
    try {
      await roundTrip(openStore({ kind: 'redis', url: redis.url, prefix: 'cfg:' }, '/unused'));
      const { Redis } = await import('ioredis');
      const raw = new Redis(redis.url);
      expect(await raw.keys('{cfg:*}aor:*')).toStrictEqual([`{cfg:${String(sliceOf('sip:a@x'))}}aor:sip:a@x`]);
      raw.disconnect();
    } finally {
      await redis.stop();
    }
  });

  it('reads a Redis Cluster configuration and refuses what cannot work on one', () => {
    const c = parseConfig({ store: { kind: 'redis', cluster: { nodes: ['redis://127.0.0.1:7000', 'rediss://:pw@127.0.0.1:7001'] } } });
    expect(c.store).toMatchObject({ kind: 'redis', prefix: 'sipts:', cluster: { nodes: ['redis://127.0.0.1:7000', 'rediss://:pw@127.0.0.1:7001'] } });
    // A brace in the prefix would become the hash tag of every key: all in one slot, or split wrongly.
    expect(() => parseConfig({ store: { kind: 'redis', prefix: 'a{b}:' } })).toThrow(/store\.prefix/);
    expect(() => parseConfig({ store: { kind: 'redis', cluster: { nodes: ['http://127.0.0.1:7000'] } } })).toThrow(/store\.cluster/);
    expect(() => parseConfig({ store: { kind: 'redis', cluster: { nodes: [] } } })).toThrow(/store\.cluster/);
    expect(() => createRedisStore({ url: 'redis://127.0.0.1:1', prefix: '{x}' })).toThrow(/must not contain/);
  });

  it('reports a cluster node that is not a redis URL on the first operation, without throwing at open', async () => {
    const store = createRedisStore({ url: 'redis://unused', clusterNodes: ['nonsense'], commandTimeoutMs: 200 });
    await expect(store.count(NOW)).rejects.toThrow(/location store: .*not a redis:\/\/ URL/);
    await store.close();
  });
});
