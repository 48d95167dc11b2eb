/**
 * `node server/idle-rss.mjs`: where the idle RSS of apps/server goes, with 5,000 users configured
 * (the figure of issue 16: 148 MB, target under 80 MB). Each stage runs in a fresh Node process on
 * loopback and reports VmRSS (and VmHWM, the peak) after settling:
 *  1. node: an empty Node process;
 *  2. deps: Node after importing the server's npm dependencies (pino, zod, yaml, prom-client,
 *     ioredis, better-sqlite3);
 *  3. server: the server through its bin (bundle, config with 5,000 users, SQLite store, UDP+TCP);
 *  4. server-redis: the same on a Redis store.
 * Bounded: every child is killed after 60 s. Writes server/idle-rss.json and prints a table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { benchUsers, usersYaml } from './users.mjs';
import { describeGit, gitProvenance } from '../provenance.mjs';

const SERVER_DIR = fileURLToPath(new URL('../../apps/server/', import.meta.url));
const SERVER_BIN = join(SERVER_DIR, 'bin/sipts-server.js');
const USERS = Number(process.env.BENCH_RSS_USERS ?? 5000);
const SETTLE_MS = 3000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

function start(args, cwd) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d.toString('latin1')).slice(-4000)));
  const exited = new Promise((r) => child.on('exit', r));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return {
    pid: child.pid,
    exited,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      clearTimeout(killer);
    },
  };
}

async function stage(name, args, { cwd, ready }) {
  const p = start(args, cwd);
  try {
    if (ready) await ready(p);
    await sleep(SETTLE_MS);
    const m = memory(p.pid);
    return { stage: name, ...m };
  } catch (e) {
    return { stage: name, error: `${e.message}\n${p.stderr()}` };
  } finally {
    await p.stop();
  }
}

async function healthy(port, p) {
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (let i = 0; i < 300 && !gone; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error('the server did not become healthy');
}

async function serverStage(name, dir, store) {
  const port = await freePort();
  const httpPort = await freePort();
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `domains: [localhost, 127.0.0.1]
listen: { address: 127.0.0.1, udp: ${port}, tcp: ${port}, tls: false, ws: false, wss: false }
dataDir: ${join(dir, `data-${name}`)}
store: ${store}
auth: { algorithms: [MD5] }
http: { address: 127.0.0.1, port: ${httpPort} }
log: { level: warn }
users:
${usersYaml(benchUsers(USERS), 'localhost')}
`,
  );
  return stage(name, [SERVER_BIN, '--config', file], { cwd: dir, ready: (p) => healthy(httpPort, p) });
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-rss-'));
  const results = [];
  let redis;
  try {
    results.push(await stage('node', ['-e', 'setInterval(() => {}, 1000)'], { cwd: dir }));
    const deps = ['pino', 'zod', 'yaml', 'prom-client', 'ioredis', 'better-sqlite3'].map((d) => `await import(${JSON.stringify(d)});`).join(' ');
    results.push(await stage('deps', ['--input-type=module', '-e', `${deps} setInterval(() => {}, 1000);`], { cwd: SERVER_DIR }));
    results.push(await serverStage('server', dir, '{ kind: sqlite }'));
    const redisPort = await freePort();
    redis = spawn('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'latin1' }).stdout.trim() !== 'PONG'; i++) await sleep(100);
    results.push(await serverStage('server-redis', dir, `{ kind: redis, url: "redis://127.0.0.1:${redisPort}" }`));
  } finally {
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  // Clean: nothing changed in the tree but this script's own output file.
  const git = gitProvenance({ outputs: ['bench/server/idle-rss.json'] });
  const out = { git, users: USERS, node: process.version, results };
  writeFileSync(fileURLToPath(new URL('idle-rss.json', import.meta.url)), JSON.stringify(out, null, 2) + '\n');
  for (const r of results) console.log(`${r.stage.padEnd(14)} ${r.error ? `error: ${r.error}` : `RSS ${r.rssMb.toFixed(1)} MB (peak ${r.peakMb.toFixed(1)} MB)`}`);
  console.log(describeGit(git));
}

await main();
