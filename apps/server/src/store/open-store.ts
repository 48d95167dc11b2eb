import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@sipts/transport';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { LocationStore } from './types.js';

/** The `store` section of the server configuration. */
export type StoreConfig =
  | { kind: 'sqlite' }
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; prefix?: string | undefined; cluster?: { nodes: string[] } | null | undefined };

/** The name of the SQLite file inside the data dir. */
export const SQLITE_FILE = 'location.sqlite';

/**
 * Opens the store a configuration names: SQLite at `<dataDir>/location.sqlite` (the dir is
 * created), Redis at `url` (or the Redis Cluster of `cluster.nodes`) with `prefix`, or memory
 * (nothing kept). A Redis store connects in the
 * background: an unreachable Redis shows as rejected calls and logged errors, not as a throw here.
 * @throws Error when the SQLite file cannot be created or opened
 * @example const store = openStore(config.store, config.dataDir, { logger });
 */
export function openStore(config: StoreConfig, dataDir: string, options: { logger?: Logger; now?: () => number; noncesPerUser?: number } = {}): LocationStore {
  switch (config.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite':
      mkdirSync(dataDir, { recursive: true });
      return createSqliteStore({ file: join(dataDir, SQLITE_FILE) });
    case 'redis':
      return createRedisStore({ url: config.url, prefix: config.prefix, clusterNodes: config.cluster?.nodes, logger: options.logger, now: options.now, noncesPerUser: options.noncesPerUser });
  }
}
