/**
 * The Redis connection of the Redis store: one server (or a Sentinel-fronted one) by URL, or a
 * Redis Cluster by its seed nodes. Both fail fast while Redis is away (a command that cannot run
 * rejects within the timeout instead of queueing) and log connection trouble once per change.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '@sipts/transport';

/** The commands the store uses; both a single connection and a cluster client have them. */
export type RedisClient = Redis | Cluster;

/** Options of {@link connectRedis}. */
export interface RedisClientOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`): the server, or with `clusterNodes` unused. */
  url: string;
  /** Seed nodes of a Redis Cluster (`redis://[user:password@]host:port`); the rest is discovered. */
  clusterNodes?: readonly string[] | undefined;
  commandTimeoutMs: number;
  logger?: Logger | undefined;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable redis url)';
  }
}

/** Host, port and credentials of a node URL. @throws Error for a URL that is not redis:// or rediss:// */
function nodeOf(url: string): { host: string; port: number; username: string; password: string; tls: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`location store: '${redactUrl(url)}' is not a redis:// URL`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`location store: '${redactUrl(url)}' is not a redis:// URL`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port === '' ? 6379 : Number(u.port), username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), tls: u.protocol === 'rediss:' };
}

/**
 * Connects (in the background: an unreachable Redis shows as rejected commands, not a throw).
 * ioredis is loaded here, on first use, so that a server on SQLite never holds it in memory.
 * @throws Error (rejects) for a cluster node that is not a redis:// URL
 * @example const redis = connectRedis({ url, clusterNodes: ['redis://10.0.0.1:7000'], commandTimeoutMs: 2000 });
 */
export async function connectRedis(options: RedisClientOptions): Promise<RedisClient> {
  const { Cluster, Redis } = await import('ioredis');
  const { logger } = options;
  const common = {
    // Fail fast instead of queueing forever while Redis is away.
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    enableReadyCheck: true,
  };
  let client: RedisClient;
  let where: string;
  const nodes = options.clusterNodes ?? [];
  if (nodes.length > 0) {
    const seeds = nodes.map(nodeOf);
    const first = seeds[0];
    where = nodes.map(redactUrl).join(', ');
    client = new Cluster(
      seeds.map(({ host, port }) => ({ host, port })),
      {
        redisOptions: {
          ...common,
          ...(first !== undefined && first.username !== '' ? { username: first.username } : {}),
          ...(first !== undefined && first.password !== '' ? { password: first.password } : {}),
          ...(first?.tls === true ? { tls: {} } : {}),
        },
        scaleReads: 'master',
        // While a master fails over, commands for its slots are retried briefly, then fail.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        maxRedirections: 16,
        slotsRefreshTimeout: 2000,
        clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      },
    );
  } else {
    where = redactUrl(options.url);
    client = new Redis(options.url, { ...common, retryStrategy: (times) => Math.min(100 * times, 2000) });
  }
  let lastError = '';
  client.on('error', (e: Error) => {
    if (e.message === lastError) return;
    lastError = e.message;
    logger?.warn('location store: redis connection error', { error: e, redis: where });
  });
  client.on('ready', () => {
    if (lastError !== '') logger?.info('location store: redis connection restored', { redis: where });
    lastError = '';
  });
  return client;
}
