/**
 * Loads the configuration in a short-lived child process (see config/worker.ts): the parse
 * garbage and the YAML and schema libraries stay out of the server process. Only for the bundled
 * command: the loader is `config-worker.mjs` next to the bundle.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config/errors.js';
import type { ServerConfig } from './config/schema.js';
import type { ConfigWorkerAnswer, ConfigWorkerInput } from './config/worker.js';

/**
 * The validated configuration, or `help` when the flags ask for the usage text.
 * @throws ConfigError for an invalid configuration, Error when the loader fails
 * @example const loaded = loadConfigInChild({ argv, env: process.env, cwd: process.cwd() });
 */
export function loadConfigInChild(input: ConfigWorkerInput): { help: true } | { config: ServerConfig } {
  const loader = fileURLToPath(new URL('./config-worker.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [loader], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'inherit'], cwd: input.cwd });
  if (run.error !== undefined) throw new Error(`the configuration loader could not run: ${run.error.message}`);
  let a: ConfigWorkerAnswer;
  try {
    a = JSON.parse(run.stdout) as ConfigWorkerAnswer;
  } catch {
    throw new Error(`the configuration loader failed (exit ${String(run.status)})`);
  }
  if (!('error' in a)) return a;
  const { key, reason, message } = a.error;
  throw key !== undefined && reason !== undefined ? new ConfigError(key, reason) : new Error(message);
}
