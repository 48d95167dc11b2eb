import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A running redis-server started by {@link startRedis}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Kills the server (SIGTERM, then SIGKILL after 3 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** The server binary. Default Debian's `/usr/bin/redis-server`. */
  bin?: string;
  /** How long to wait for the first PONG. Default 10 s. */
  timeoutMs?: number;
  /** Listen on this port (e.g. to restart a stopped server where its clients expect it). Default: a free one. */
  port?: number;
}

const KEEP_OUTPUT = 4096;

/**
 * Starts a throw-away redis-server on a free loopback port (127.0.0.1), without persistence
 * (`--save '' --appendonly no`), in a temp dir, and resolves once it answers PING.
 * @throws Error when it does not start (with the end of its output) after 3 tries on other ports
 *   (one try when `options.port` is given)
 * @example
 * const redis = await startRedis();
 * try { ... redis.url ... } finally { await redis.stop(); }
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = options.bin ?? '/usr/bin/redis-server';
  const timeoutMs = options.timeoutMs ?? 10_000;
  let lastError: Error | undefined;
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort('127.0.0.1'));
    const dir = await mkdtemp(join(tmpdir(), 'sipts-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--databases', '1');
    const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString('latin1')).slice(-KEEP_OUTPUT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('close', () => { resolve(); }));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const stop = async (): Promise<void> => {
      await kill(child, exited);
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForPong(port, timeoutMs, exited, spawnError);
      return { url: `redis://127.0.0.1:${port}`, port, stop };
    } catch (e) {
      await stop();
      lastError = new Error(`redis-server did not start on port ${port}: ${(e as Error).message}\n${output}`);
    }
  }
  throw lastError ?? new Error('redis-server did not start');
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Resolves when the server answers PING; rejects if it exits or `timeoutMs` passes first. */
async function waitForPong(port: number, timeoutMs: number, exited: Promise<void>, spawnError: Promise<Error>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited.then(() => (gone = 'exited'));
  void spawnError.then((e) => (gone = e.message));
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(gone);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no PONG within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => { done(false); });
    socket.once('error', () => { done(false); });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
