import { randomUUID } from 'node:crypto';
import { startRedis, type RedisServer } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/index.js';
import { sliceOf } from '../../src/store/redis-store.js';
import { storeContract } from './contract.js';
import { binding, NOW } from './fixtures.js';

let server: RedisServer | undefined;
const redis = (): RedisServer => {
  if (!server) throw new Error('redis-server not started');
  return server;
};

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

storeContract('redis', {
  shared: true,
  persistent: true,
  setup: () => {
    // A fresh prefix per test: tests share one redis-server but never each other's keys.
    const prefix = `t:${randomUUID()}:`;
    return Promise.resolve({
      open: () => Promise.resolve(createRedisStore({ url: redis().url, prefix })),
      dispose: () => Promise.resolve(),
    });
  },
});

describe('redis store', () => {
  it('keeps digest nonce counts per user, shared by every store on the prefix', async () => {
    const prefix = `t:${randomUUID()}:`;
    const one = createRedisStore({ url: redis().url, prefix, noncesPerUser: 2 });
    const two = createRedisStore({ url: redis().url, prefix, noncesPerUser: 2 });
    try {
      const t = Date.now(); // the counts expire on the store's clock (Date.now by default)
      const use = { nonce: 'n1', nc: 1, issuedAt: t, expiresAt: t + 60_000, username: 'alice' };
      expect(await one.nonceCounts.advance(use)).toBe('ok');
      expect(await two.nonceCounts.advance(use)).toBe('replay');
      expect(await one.nonceCounts.advance({ ...use, nonce: 'n2', issuedAt: t + 1 })).toBe('ok');
      expect(await one.nonceCounts.advance({ ...use, nonce: 'n3', issuedAt: t + 2 })).toBe('ok'); // drops n1
      expect(await two.nonceCounts.advance({ ...use, nc: 2 })).toBe('forgotten');
      expect(await two.nonceCounts.advance({ ...use, nonce: 'n3', issuedAt: t + 2, nc: 2 })).toBe('ok');
      expect(await two.nonceCounts.advance({ ...use, username: 'bob' })).toBe('ok');
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('gives abandoned AORs a TTL', async () => {
    const prefix = `t:${randomUUID()}:`;
    const store = createRedisStore({ url: redis().url, prefix, ttlGraceMs: 1000 });
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis().url);
    try {
      await store.update('sip:a@x', { put: [binding('sip:a@x', 'k', { expiresAt: NOW + 5000 })], remove: [] }, NOW);
      const ttl = await raw.pttl(`{${prefix}${String(sliceOf('sip:a@x'))}}aor:sip:a@x`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(6000);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it('rejects quickly with a clear error when redis is down, and recovers', async () => {
    const down = await startRedis();
    const store = createRedisStore({ url: down.url, prefix: 'x:', commandTimeoutMs: 500 });
    try {
      await store.update('sip:a@x', { put: [binding('sip:a@x', 'k')], remove: [] }, NOW);
      await down.stop();
      await expect(store.lookup('sip:a@x', NOW)).rejects.toThrow(/location store: redis lookup failed/);
      await expect(store.update('sip:a@x', { put: [], remove: ['k'] }, NOW)).rejects.toThrow(/location store: redis update failed/);
      await expect(store.count(NOW)).rejects.toThrow(/location store: redis count failed/);
      const again = await startRedis({ port: down.port });
      try {
        // The client reconnects by itself (bounded wait: 50 tries).
        let count: number | undefined;
        for (let i = 0; i < 50 && count === undefined; i++) {
          count = await store.count(NOW).catch(() => undefined);
          if (count === undefined) await new Promise((r) => setTimeout(r, 100));
        }
        expect(count).toBe(0);
        await store.update('sip:a@x', { put: [binding('sip:a@x', 'k')], remove: [] }, NOW);
        expect(await store.count(NOW)).toBe(1);
      } finally {
        await again.stop();
      }
    } finally {
      await store.close();
    }
  });

  it('rejects when redis was never there', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 });
    try {
      await expect(store.lookup('sip:a@x', NOW)).rejects.toThrow(/location store: redis lookup failed/);
    } finally {
      await store.close();
    }
  });

  it('skips malformed values that someone else wrote', async () => {
    const prefix = `t:${randomUUID()}:`;
    const store = createRedisStore({ url: redis().url, prefix });
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis().url);
    try {
      await store.update('sip:a@x', { put: [binding('sip:a@x', 'good')], remove: [] }, NOW);
      await raw.hset(`${prefix}aor:sip:a@x`, 'bad', '{not json', 'worse', '{"aor":1}');
      expect((await store.lookup('sip:a@x', NOW)).map((b) => b.key)).toStrictEqual(['good']);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });
});
