/**
 * `loadConfig`: the YAML file (from `--config`, `SIPTS_CONFIG`, or the embedded default), then
 * `SIPTS_*` variables, then flags; validated by zod into a {@link ServerConfig}.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { configSchema, usersFileSchema, type ServerConfig } from './schema.js';
import { applyOverrides, OVERRIDES, type RawConfig } from './sources.js';

/** The embedded default configuration file. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/sipts-server.yaml', import.meta.url));

/** The flags `serve` takes (node:util parseArgs options). */
export const SERVE_FLAGS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(OVERRIDES.map((o) => [o.flag, { type: 'string' }])),
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** What {@link loadConfig} reads. */
export interface LoadConfigOptions {
  /** Command-line arguments after the program name (an optional leading `serve` is skipped). */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--config`, `dataDir`, `usersFile`) are resolved against this. */
  cwd: string;
}

function issueKey(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
}

/**
 * Validates a raw document (defaults filled in).
 * @throws ConfigError naming the first bad key and why
 * @example parseConfig({ listen: { udp: 0 } }).listen.tcp // 5060
 */
export function parseConfig(raw: unknown): ServerConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(issue === undefined ? '(root)' : issueKey(issue), issue?.message ?? 'invalid');
  }
  return result.data;
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(what, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new ConfigError(what, `${file} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Parses `serve`'s flags. @throws ConfigError for an unknown flag or a missing value */
export function parseServeFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const args = argv[0] === 'serve' ? argv.slice(1) : [...argv];
  try {
    return parseArgs({ args, options: SERVE_FLAGS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new ConfigError('flags', e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/**
 * Loads the configuration: file, then environment, then flags; validates it; resolves `dataDir`
 * against `cwd`; merges the users of `usersFile` (resolved against `cwd`) after the inline ones.
 * @throws ConfigError with the key (or flag, variable, file) and the reason
 * @example const config = loadConfig({ argv: ['--udp-port', '0'], env: process.env, cwd: process.cwd() })
 */
export function loadConfig(options: LoadConfigOptions): ServerConfig {
  const flags = parseServeFlags(options.argv);
  const given = typeof flags.config === 'string' ? flags.config : options.env.SIPTS_CONFIG;
  const file = given === undefined || given === '' ? DEFAULT_CONFIG_FILE : resolve(options.cwd, given);
  const doc = readYaml(file, given === undefined ? 'config' : typeof flags.config === 'string' ? '--config' : 'SIPTS_CONFIG');
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) throw new ConfigError('(root)', `${file} must hold a YAML mapping`);
  const raw: RawConfig = (doc ?? {}) as RawConfig;
  applyOverrides(raw, options.env, true);
  const text: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(flags)) if (typeof v === 'string') text[k] = v;
  applyOverrides(raw, text, false);
  const config = parseConfig(raw);
  config.dataDir = resolve(options.cwd, config.dataDir);
  if (config.usersFile !== null) {
    const usersFile = isAbsolute(config.usersFile) ? config.usersFile : resolve(options.cwd, config.usersFile);
    const parsed = usersFileSchema.safeParse(readYaml(usersFile, 'usersFile') ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(`usersFile(${usersFile}).${issue === undefined ? '' : issueKey(issue)}`, issue?.message ?? 'invalid');
    }
    config.users = [...config.users, ...parsed.data.users];
  }
  const seen = new Set<string>();
  for (const u of config.users) {
    if (seen.has(u.user)) throw new ConfigError('users', `user '${u.user}' is listed twice`);
    seen.add(u.user);
  }
  return config;
}
