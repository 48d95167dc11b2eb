/**
 * The configuration loader as a short-lived child process (the `config-worker` entry of the bin's
 * bundle). Reading YAML with thousands of users and validating it allocates tens of megabytes
 * that a server which then idles would keep as resident memory (V8 does not give a grown heap
 * back without a full collection it has no reason to run, and a worker thread's malloc arena
 * stays with the process); in a child process all of it goes back to the system when it exits,
 * and the server process never loads the YAML parser or the schema library.
 * Reads one {@link ConfigWorkerInput} as JSON on stdin, writes one {@link ConfigWorkerAnswer} as
 * JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { loadConfig, parseServeFlags } from './load.js';
import type { ServerConfig } from './schema.js';

/** What the worker is given. */
export interface ConfigWorkerInput {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

/** What the worker answers. */
export type ConfigWorkerAnswer = { help: true } | { config: ServerConfig } | { error: { key?: string; reason?: string; message: string } };

function answer(input: ConfigWorkerInput): ConfigWorkerAnswer {
  try {
    if (parseServeFlags(input.argv).help === true) return { help: true };
    return { config: loadConfig({ argv: input.argv, env: input.env, cwd: input.cwd }) };
  } catch (e) {
    if (e instanceof ConfigError) return { error: { key: e.key, reason: e.reason, message: e.message } };
    return { error: { message: e instanceof Error ? e.message : String(e) } };
  }
}

process.stdout.write(JSON.stringify(answer(JSON.parse(readFileSync(0, 'utf8')) as ConfigWorkerInput)));
