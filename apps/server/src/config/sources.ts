/**
 * Where configuration values come from besides the YAML file: `SIPTS_*` environment variables
 * and command-line flags, each written into the raw document under its key.
 */
import { ConfigError } from './errors.js';

/** A raw (not yet validated) configuration document. */
export type RawConfig = Record<string, unknown>;

/** How an override is read: as a port (`false`/`off` turn it off), or as text. */
type Kind = 'port' | 'text' | 'store';

/** One override: the config path it sets, the flag and the variable that carry it. */
interface Override {
  path: readonly string[];
  flag: string;
  env?: string;
  kind: Kind;
}

/** Every override, in the contract's order. */
export const OVERRIDES: readonly Override[] = [
  { path: ['listen', 'address'], flag: 'address', kind: 'text' },
  { path: ['listen', 'udp'], flag: 'udp-port', env: 'SIPTS_UDP_PORT', kind: 'port' },
  { path: ['listen', 'tcp'], flag: 'tcp-port', env: 'SIPTS_TCP_PORT', kind: 'port' },
  { path: ['listen', 'ws'], flag: 'ws-port', env: 'SIPTS_WS_PORT', kind: 'port' },
  { path: ['http', 'port'], flag: 'http-port', env: 'SIPTS_HTTP_PORT', kind: 'port' },
  { path: ['dataDir'], flag: 'data-dir', env: 'SIPTS_DATA_DIR', kind: 'text' },
  { path: ['store', 'kind'], flag: 'store', env: 'SIPTS_STORE', kind: 'store' },
  { path: ['store', 'url'], flag: 'redis-url', env: 'SIPTS_REDIS_URL', kind: 'text' },
  { path: ['log', 'level'], flag: 'log-level', env: 'SIPTS_LOG_LEVEL', kind: 'text' },
];

function convert(kind: Kind, value: string, source: string): unknown {
  if (kind === 'port') {
    if (value === 'false' || value === 'off') return false;
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new ConfigError(source, `expected a port number (0-65535) or false, got '${value}'`);
    return Number(value);
  }
  if (kind === 'store' && value !== 'sqlite' && value !== 'redis' && value !== 'memory') {
    throw new ConfigError(source, `expected sqlite, redis or memory, got '${value}'`);
  }
  return value;
}

function isRecord(v: unknown): v is RawConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets `path` in `doc`, creating objects on the way (a non-object on the way is replaced). */
function setPath(doc: RawConfig, path: readonly string[], value: unknown): void {
  let at = doc;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      at[key] = value;
      return;
    }
    const next = at[key];
    if (isRecord(next)) at = next;
    else {
      const fresh: RawConfig = {};
      at[key] = fresh;
      at = fresh;
    }
  }
}

/**
 * Writes the overrides found in `values` (by flag name, or by variable name when `fromEnv`) into
 * `doc`. A store kind switched to `redis` keeps an explicit URL; switched away it drops one.
 * @throws ConfigError naming the flag (`--udp-port`) or the variable (`SIPTS_UDP_PORT`)
 */
export function applyOverrides(doc: RawConfig, values: Readonly<Record<string, string | undefined>>, fromEnv: boolean): void {
  for (const o of OVERRIDES) {
    const name = fromEnv ? o.env : o.flag;
    if (name === undefined) continue;
    const raw = values[name];
    if (raw === undefined || (fromEnv && raw === '')) continue;
    const source = fromEnv ? name : `--${name}`;
    const value = convert(o.kind, raw, source);
    if (o.kind === 'store') {
      const store = isRecord(doc.store) ? doc.store : {};
      doc.store = value === 'redis' ? { ...store, kind: value } : { kind: value };
      continue;
    }
    if (o.path[0] === 'store' && isRecord(doc.store) && doc.store.kind !== 'redis') continue; // a Redis URL without Redis
    setPath(doc, o.path, value);
  }
}
