/**
 * A throw-away Redis Cluster on loopback for the tests: `masters` redis-server processes with
 * `--cluster-enabled yes` (and `replicas` per master), joined by `redis-cli --cluster create`,
 * ready once every node reports `cluster_state:ok`. Every wait is bounded; `stop()` kills every
 * process it started (also those a test already killed) and removes their directories.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from '@sipts/test-peers';

const SERVER = '/usr/bin/redis-server';
const CLI = '/usr/bin/redis-cli';

/** Why the cluster tests cannot run here, or undefined when they can. */
export function clusterUnavailable(): string | undefined {
  if (!existsSync(SERVER) || !existsSync(CLI)) return `${SERVER} or ${CLI} is absent (Debian package redis-server; CI installs it)`;
  return undefined;
}

/** One node of the cluster. */
export interface ClusterNode {
  port: number;
  url: string;
  /** Kills the process (SIGKILL: a crash, as a failover test wants). */
  kill(): Promise<void>;
}

/** A running cluster. */
export interface RedisCluster {
  nodes: ClusterNode[];
  /** `redis-cli -p <port> <args>` output (bounded to 5 s). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Resolves when `port` reports `cluster_state:ok` (rejects after `ms`). */
  waitOk(port: number, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < n && i < n * 10; i++) ports.add(await freePort());
  if (ports.size < n) throw new Error('not enough free ports');
  return [...ports];
}

/**
 * Starts the cluster (default 3 masters, 1 replica each, node timeout 1000 ms).
 * @throws Error when a node does not start or the cluster is not ok within 30 s
 */
export async function startRedisCluster(options: { masters?: number; replicas?: number } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 1;
  const count = masters * (1 + replicas);
  // Each node needs a client port and a cluster-bus port.
  const ports = await distinctPorts(count * 2);
  const children: { child: ChildProcess; exited: Promise<void>; dir: string }[] = [];
  const cli = (port: number, ...args: string[]): Promise<string> => run(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], 5000);
  const stop = async (): Promise<void> => {
    for (const { child, exited } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    for (const { dir } of children) await rm(dir, { recursive: true, force: true });
  };
  const waitOk = async (port: number, ms = 30_000): Promise<void> => {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = await cli(port, 'cluster', 'info').catch((e: unknown) => String(e));
      if (last.includes('cluster_state:ok')) return;
      await sleep(100);
    }
    throw new Error(`node ${String(port)} not ok within ${String(ms)} ms: ${last.slice(0, 300)}`);
  };
  try {
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < count; i++) {
      const port = ports[2 * i] ?? 0;
      const bus = ports[2 * i + 1] ?? 0;
      const dir = await mkdtemp(join(tmpdir(), 'sipts-redis-cluster-'));
      const args = ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
      args.push('--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning');
      const child = spawn(SERVER, args, { cwd: dir, stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('close', () => { resolve(); }));
      child.once('error', () => undefined);
      children.push({ child, exited, dir });
      nodes.push({
        port,
        url: `redis://127.0.0.1:${String(port)}`,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    }
    for (const n of nodes) {
      const end = Date.now() + 10_000;
      while ((await cli(n.port, 'ping').catch(() => '')).trim() !== 'PONG') {
        if (Date.now() > end) throw new Error(`redis-server on ${String(n.port)} did not answer PING`);
        await sleep(50);
      }
    }
    await run(CLI, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${String(n.port)}`), '--cluster-replicas', String(replicas), '--cluster-yes'], 30_000);
    for (const n of nodes) await waitOk(n.port);
    return { nodes, cli, waitOk, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The role lines of `CLUSTER NODES`: port → 'master' | 'slave', and whether it is failed. */
export async function roles(cluster: RedisCluster, askPort: number): Promise<Map<number, { role: string; failed: boolean; slots: boolean }>> {
  const out = await cluster.cli(askPort, 'cluster', 'nodes');
  const map = new Map<number, { role: string; failed: boolean; slots: boolean }>();
  for (const line of out.trim().split('\n')) {
    const cols = line.split(' ');
    const port = Number(/:(\d+)@/.exec(cols[1] ?? '')?.[1]);
    const flags = cols[2] ?? '';
    map.set(port, { role: flags.includes('master') ? 'master' : 'slave', failed: flags.includes('fail'), slots: cols.length > 8 });
  }
  return map;
}
