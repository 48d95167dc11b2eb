/**
 * The location service of sipts-server (RFC 3261 §10.3): a memory store for tests, SQLite for
 * one instance, Redis for several instances that share registrations.
 */
export type { Binding, FlowRef, LocationStore } from './types.js';
export { compareBindings, isLive } from './binding-order.js';
export { createMemoryStore } from './memory-store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { createRedisStore, type RedisStoreOptions } from './redis-store.js';
export { openStore, SQLITE_FILE, type StoreConfig } from './open-store.js';
