/**
 * The server configuration: schema, loading (YAML, `SIPTS_*` environment, flags) and errors.
 */
export { configSchema, userSchema, type ServerConfig, type UserEntry } from './schema.js';
export { ConfigError } from './errors.js';
export { DEFAULT_CONFIG_FILE, loadConfig, parseConfig, parseServeFlags, type LoadConfigOptions } from './load.js';
export { ha1Entry, type Ha1Pair } from './users.js';
