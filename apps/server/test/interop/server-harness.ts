/**
 * The server under test: a YAML config written to a temp dir (users as HA1s only, loopback,
 * ports 0 or given, the MD5 challenge first because sipp 3.6.1 computes MD5 only), started in-process
 * with `createServer(loadConfig(...))` and a pino logger whose lines the test can read, or as the
 * bin's child process when the test is about the process (restart, SIGTERM). Plus /metrics.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { stringify } from 'yaml';
import { type Child, startChild, until } from '@sipts/test-peers';
import { loadConfig } from '../../src/config/index.js';
import { createServer, type SiptsServer } from '../../src/server.js';
import type { LocationStore } from '../../src/store/index.js';

/** The digest realm: the first configured domain. */
export const REALM = 'localhost';
/** Users of every test config, with their passwords (the config holds only the HA1s). */
export const PASSWORDS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
const BIN = fileURLToPath(new URL('../../bin/sipts-server.js', import.meta.url));

function hash(algorithm: 'md5' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex');
}

/** Deep merge of plain objects (arrays and scalars in `b` replace those in `a`). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(prev) && isObj(v) ? merge(prev, v) : v;
  }
  return out;
}

/** Writes `<dir>/sipts-server.yaml`: the test defaults, then `overrides`. Returns its path. */
export function writeConfig(dir: string, overrides: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = {
    domains: [REALM, '127.0.0.1'],
    listen: { address: '127.0.0.1', udp: 0, tcp: 0, ws: false },
    dataDir: join(dir, 'data'),
    store: { kind: 'memory' },
    users: Object.entries(PASSWORDS).map(([user, password]) => ({
      user,
      ha1: { md5: hash('md5', `${user}:${REALM}:${password}`), sha256: hash('sha256', `${user}:${REALM}:${password}`) },
    })),
    registrar: { minExpires: 1, maxExpires: 3600, defaultExpires: 60 },
    // sipp 3.6.1 computes MD5 only and answers only the first challenge: MD5 is offered first.
    auth: { algorithms: ['MD5', 'SHA-256'], requests: true },
    limits: { registerPerSecondPerSource: 1000, requestsPerSecondPerSource: 1000 },
    http: { address: '127.0.0.1', port: 0 },
    log: { level: 'debug' },
  };
  const file = join(dir, 'sipts-server.yaml');
  writeFileSync(file, stringify(merge(base, overrides)));
  return file;
}

/** A server started in-process. */
export interface TestServer {
  server: SiptsServer;
  /** The bound UDP port. */
  udp: number;
  /** The bound TCP port. */
  tcp: number;
  /** The bound HTTP port (/metrics, /health). */
  http: number;
  /** The JSON log lines so far (the last 20,000). */
  logs: string[];
  stop(): Promise<void>;
}

/** Starts `createServer(loadConfig(...))` in-process with the config of {@link writeConfig}. */
export async function startServer(dir: string, options: { overrides?: Record<string, unknown>; store?: LocationStore; argv?: string[]; now?: () => number } = {}): Promise<TestServer> {
  const file = writeConfig(dir, options.overrides);
  const config = loadConfig({ argv: ['--config', file, ...(options.argv ?? [])], env: {}, cwd: dir });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(line);
      if (logs.length > 20_000) logs.splice(0, logs.length - 20_000);
      cb();
    },
  });
  const logger = pino({ level: config.log.level }, sink);
  const server = createServer(config, { ...(options.store !== undefined ? { store: options.store } : {}), ...(options.now !== undefined ? { now: options.now } : {}), logger });
  await server.start();
  const { udp, tcp, http } = server.ports;
  if (udp === undefined || tcp === undefined || http === undefined) {
    await server.stop();
    throw new Error(`server ports missing: ${JSON.stringify(server.ports)}`);
  }
  let stopped = false;
  return {
    server,
    udp,
    tcp,
    http,
    logs,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

/** The /metrics text of a server's HTTP port. */
export async function metricsText(httpPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${String(httpPort)}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/metrics answered ${String(res.status)}`);
  return res.text();
}

/**
 * The sum of the samples of `name` in a Prometheus text whose labels include all of `labels`
 * (0 when there is none).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m?.[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/** The bin `sipts-server serve` as a child process (killed after `timeoutMs`). */
export interface ServerProcess {
  child: Child;
  /** Sends SIGTERM and waits for the exit. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** SIGKILLs the process group (the bin runs the server in its own process). */
  kill(): Promise<unknown>;
}

/** Starts the bin on fixed ports (the test chose them with freePort) and waits until it serves. */
export async function startServerProcess(dir: string, config: string, ports: { sip: number; http: number }, timeoutMs = 60_000): Promise<ServerProcess> {
  const args = [BIN, 'serve', '--config', config, '--udp-port', String(ports.sip), '--tcp-port', String(ports.sip), '--http-port', String(ports.http)];
  const child = startChild(process.execPath, args, { cwd: dir, timeoutMs, group: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  let exited = false;
  void child.done.then(() => {
    exited = true;
  });
  await until(
    async () => {
      if (exited) return true;
      try {
        const res = await fetch(`http://127.0.0.1:${String(ports.http)}/health`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      } catch {
        return false;
      }
    },
    20_000,
    'the server process to answer /health',
  );
  if (exited) throw new Error(`the server process exited at start:\n${child.output().slice(-3000)}`);
  return {
    child,
    terminate: async () => {
      child.process.kill('SIGTERM');
      const r = await child.done;
      return { code: r.code, signal: r.signal, output: `${r.stdout}\n${r.stderr}` };
    },
    kill: child.kill,
  };
}
