import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '@sipts/transport';
import { assertSameAor, liveSorted } from './binding-order.js';
import { parseStoredBinding } from './binding-json.js';
import { PURGE_SCRIPT, REMOVE_ALL_SCRIPT, REMOVE_FLOW_SCRIPT, UPDATE_SCRIPT } from './redis-scripts.js';
import type { Binding, LocationStore } from './types.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Prefix of every key, so several deployments can share one Redis. Default `sipts:`. */
  prefix?: string | undefined;
  /** Where connection trouble is reported (once per change of error). */
  logger?: Logger | undefined;
  /** A command that has no answer within this long fails. Default 2000 ms. */
  commandTimeoutMs?: number | undefined;
  /** How long an AOR's hash outlives its latest expiry before Redis drops it. Default 300 000 ms. */
  ttlGraceMs?: number | undefined;
}

const PURGE_BATCH = 500;
const PURGE_MAX_BATCHES = 1000;

/**
 * A location store in Redis (ioredis), shared by several server instances: what one instance
 * registers, the others find, and each removes the bindings of its own closed flows. Every write
 * is one Lua script, so it is atomic; lookups read one hash and drop expired bindings.
 * When Redis is down, calls reject within about `commandTimeoutMs` with an Error naming the
 * operation; connection errors are logged, never thrown, and the client keeps reconnecting.
 * @example
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'sipts:' });
 * @see RFC 3261 §10.3 (the location service), RFC 5626 §5.3 (flows that fail)
 */
export function createRedisStore(options: RedisStoreOptions): LocationStore {
  const prefix = options.prefix ?? 'sipts:';
  const grace = options.ttlGraceMs ?? 300_000;
  const logger = options.logger;
  const redis = new Redis(options.url, {
    // Fail fast instead of queueing forever while Redis is away.
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    enableReadyCheck: true,
  });
  let lastError = '';
  redis.on('error', (e: Error) => {
    if (e.message === lastError) return;
    lastError = e.message;
    logger?.warn('location store: redis connection error', { error: e, url: redactUrl(options.url) });
  });
  redis.on('ready', () => {
    if (lastError !== '') logger?.info('location store: redis connection restored', { url: redactUrl(options.url) });
    lastError = '';
  });
  let closed = false;

  const script = (lua: string) => {
    const sha = createHash('sha1').update(lua).digest('hex');
    return async (args: (string | number)[]): Promise<unknown> => {
      try {
        return await redis.evalsha(sha, 0, ...args);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('NOSCRIPT')) return redis.eval(lua, 0, ...args);
        throw e;
      }
    };
  };
  const updateScript = script(UPDATE_SCRIPT);
  const removeAllScript = script(REMOVE_ALL_SCRIPT);
  const removeFlowScript = script(REMOVE_FLOW_SCRIPT);
  const purgeScript = script(PURGE_SCRIPT);

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
    lookup: (aor, now) => run('lookup', async () => decode(await redis.hvals(`${prefix}aor:${aor}`), now)),

    update: (aor, change, now) =>
      run('update', async () => {
        assertSameAor(aor, change.put);
        const args: (string | number)[] = [prefix, aor, now, grace, change.remove.length, ...change.remove];
        args.push(change.put.length);
        for (const b of change.put) {
          args.push(b.key, JSON.stringify(b), b.expiresAt, b.owner, b.flow ? '1' : '0', b.flow?.id ?? '');
        }
        return decode(await updateScript(args), now);
      }),

    removeAll: (aor) =>
      run('removeAll', async () => {
        await removeAllScript([prefix, aor]);
      }),

    removeFlow: (owner, flowId) => run('removeFlow', async () => Number(await removeFlowScript([prefix, owner, flowId]))),

    purgeExpired: (now) =>
      run('purgeExpired', async () => {
        let deleted = 0;
        for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
          const [n, examined] = (await purgeScript([prefix, now, PURGE_BATCH])) as [number, number];
          deleted += n;
          if (examined < PURGE_BATCH) break;
        }
        return deleted;
      }),

    count: (now) => run('count', () => redis.zcount(`${prefix}expiry`, `(${now}`, '+inf')),

    async close() {
      if (closed) return;
      closed = true;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable redis url)';
  }
}
