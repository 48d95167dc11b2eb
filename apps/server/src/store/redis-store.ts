import { createHash } from 'node:crypto';
import type { NonceCountStore } from '@sipts/digest';
import type { Logger } from '@sipts/transport';
import { assertSameAor, liveSorted } from './binding-order.js';
import { parseStoredBinding } from './binding-json.js';
import { connectRedis, type RedisClient } from './redis-client.js';
import { createRedisNonceCounts, NONCE_COUNT_SCRIPT } from './redis-nonce-counts.js';
import { PURGE_SCRIPT, REMOVE_ALL_SCRIPT, REMOVE_FLOW_SCRIPT, UPDATE_SCRIPT } from './redis-scripts.js';
import type { Binding, LocationStore } from './types.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). Unused with `clusterNodes`. */
  url: string;
  /** Seed nodes of a Redis Cluster (`redis://host:port`, credentials from the first); empty for one Redis. */
  clusterNodes?: readonly string[] | undefined;
  /** Prefix of every key, so several deployments can share one Redis. No `{` or `}`. Default `sipts:`. */
  prefix?: string | undefined;
  /** Where connection trouble is reported (once per change of error). */
  logger?: Logger | undefined;
  /** A command that has no answer within this long fails. Default 2000 ms. */
  commandTimeoutMs?: number | undefined;
  /** How long an AOR's hash outlives its latest expiry before Redis drops it. Default 300 000 ms. */
  ttlGraceMs?: number | undefined;
  /** The clock of the shared nonce counts (ms). Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Most digest nonces tracked per user in the shared counts. Default 256. */
  noncesPerUser?: number | undefined;
}

const PURGE_BATCH = 500;
const PURGE_MAX_BATCHES = 1000;

/**
 * How many slices the bindings are kept in. Each slice is one Redis Cluster hash slot (its keys
 * share the hash tag `{<prefix><slice>}`), so every script touches one slot, and the slices spread
 * over the masters. An AOR lives in one slice; flows and the expiry sweep visit all of them.
 */
export const REDIS_SLICES = 16;

/** The slice of an AOR: FNV-1a of its UTF-16 code units, modulo {@link REDIS_SLICES}. */
export function sliceOf(aor: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < aor.length; i++) {
    h ^= aor.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % REDIS_SLICES;
}

/**
 * A location store in Redis or Redis Cluster (ioredis), shared by several server instances: what
 * one instance registers, the others find, and each removes the bindings of its own closed flows.
 * Every write is one Lua script on one hash slot, so it is atomic on a single Redis and on a
 * cluster alike; lookups read one hash and drop expired bindings. The store also keeps what the
 * instances share besides bindings: the server secret and the digest nonce counts.
 * When Redis is down, calls reject within about `commandTimeoutMs` with an Error naming the
 * operation; connection errors are logged, never thrown, and the client keeps reconnecting.
 * @throws Error for a prefix with `{` or `}`, or a cluster node that is not a redis:// URL
 * @example
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'sipts:' });
 * @see RFC 3261 §10.3 (the location service), RFC 5626 §5.3 (flows that fail)
 */
export function createRedisStore(options: RedisStoreOptions): LocationStore & { nonceCounts: NonceCountStore; sharedSecret(candidate: string): Promise<string> } {
  const prefix = options.prefix ?? 'sipts:';
  if (/[{}]/.test(prefix)) throw new Error(`location store: the redis prefix '${prefix}' must not contain { or }`);
  const grace = options.ttlGraceMs ?? 300_000;
  const logger = options.logger;
  const connecting: Promise<RedisClient> = connectRedis({ url: options.url, clusterNodes: options.clusterNodes, commandTimeoutMs: options.commandTimeoutMs ?? 2000, logger });
  // A bad node URL is reported by the first operation; never an unhandled rejection.
  connecting.catch(() => undefined);
  let closed = false;
  /** The key base of a slice: `{<prefix><n>}` (a hash tag: one cluster slot per slice). */
  const base = (n: number): string => `{${prefix}${String(n)}}`;
  const slices = Array.from({ length: REDIS_SLICES }, (_, n) => base(n));

  const script = (lua: string) => {
    const sha = createHash('sha1').update(lua).digest('hex');
    return async (keys: string[], args: (string | number)[]): Promise<unknown> => {
      const redis = await connecting;
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('NOSCRIPT')) return redis.eval(lua, keys.length, ...keys, ...args);
        throw e;
      }
    };
  };
  /** A bindings script on one slice: KEYS[1] is the slice's expiry set, ARGV[1] its key base. */
  const sliceScript = (lua: string) => {
    const runLua = script(lua);
    return (slice: string, args: (string | number)[]) => runLua([`${slice}expiry`], [slice, ...args]);
  };
  const updateScript = sliceScript(UPDATE_SCRIPT);
  const removeAllScript = sliceScript(REMOVE_ALL_SCRIPT);
  const removeFlowScript = sliceScript(REMOVE_FLOW_SCRIPT);
  const purgeScript = sliceScript(PURGE_SCRIPT);
  const nonceCounts = createRedisNonceCounts({ prefix, run: script(NONCE_COUNT_SCRIPT), now: options.now ?? (() => Date.now()), ...(options.noncesPerUser !== undefined ? { maxPerUser: options.noncesPerUser } : {}) });
  const sliceOfAor = (aor: string): string => base(sliceOf(aor));

  /** Runs one operation; any failure becomes an Error that names it. */
  const run = async <T>(op: string, step: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error(`location store: redis ${op}: closed`);
    try {
      return await step();
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('location store:')) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`location store: redis ${op} failed: ${message}`, { cause: e });
    }
  };

  const decode = (values: unknown, now: number): Binding[] => {
    const out: Binding[] = [];
    for (const json of Array.isArray(values) ? (values as unknown[]) : []) {
      const b = typeof json === 'string' ? parseStoredBinding(json) : undefined;
      if (b) out.push(b);
      else logger?.warn('location store: skipped a malformed binding in redis', { prefix });
    }
    return liveSorted(out, now);
  };

  return {
    lookup: (aor, now) => run('lookup', async () => decode(await (await connecting).hvals(`${sliceOfAor(aor)}aor:${aor}`), now)),

    update: (aor, change, now) =>
      run('update', async () => {
        assertSameAor(aor, change.put);
        const args: (string | number)[] = [aor, now, grace, change.remove.length, ...change.remove];
        args.push(change.put.length);
        for (const b of change.put) {
          args.push(b.key, JSON.stringify(b), b.expiresAt, b.owner, b.flow ? '1' : '0', b.flow?.id ?? '');
        }
        return decode(await updateScript(sliceOfAor(aor), args), now);
      }),

    removeAll: (aor) =>
      run('removeAll', async () => {
        await removeAllScript(sliceOfAor(aor), [aor]);
      }),

    removeFlow: (owner, flowId) =>
      run('removeFlow', async () => {
        const counts = await Promise.all(slices.map((slice) => removeFlowScript(slice, [owner, flowId])));
        return counts.reduce<number>((sum, n) => sum + Number(n), 0);
      }),

    purgeExpired: (now) =>
      run('purgeExpired', async () => {
        let deleted = 0;
        for (const slice of slices) {
          for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
            const [n, examined] = (await purgeScript(slice, [now, PURGE_BATCH])) as [number, number];
            deleted += n;
            if (examined < PURGE_BATCH) break;
          }
        }
        return deleted;
      }),

    count: (now) =>
      run('count', async () => {
        const redis = await connecting;
        const counts = await Promise.all(slices.map((slice) => redis.zcount(`${slice}expiry`, `(${String(now)}`, '+inf')));
        return counts.reduce((sum, n) => sum + n, 0);
      }),

    nonceCounts: {
      advance: (use) => run('nonce count', async () => nonceCounts.advance(use)),
    },

    sharedSecret: (candidate) =>
      run('secret', async () => {
        const key = `${prefix}secret`;
        const redis = await connecting;
        await redis.set(key, candidate, 'NX');
        const kept = await redis.get(key);
        if (kept === null || kept.length < 16) throw new Error(`the shared secret at ${key} is missing or shorter than 16 characters`);
        return kept;
      }),

    async close() {
      if (closed) return;
      closed = true;
      const redis = await connecting.catch(() => undefined);
      if (redis === undefined) return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
