/**
 * `pnpm bench:server` (also run by `pnpm bench`): apps/server under sipp load, SQLite and Redis
 * backends, against a classic-style registrar + proxy on npm sip@0.0.6 that also authenticates
 * with the classic `sip/digest` module (registrar-classic.mjs). Like for like:
 *  - REGISTER/s: sipp registers users from an injection file, one REGISTER transaction pair per
 *    call on both: 401 challenge then digest (MD5: sipp 3.6.1 knows no SHA-256), 200; bindings
 *    written to the store (sipts) or a Map (classic).
 *  - calls/s: sipp (as local user u1, scenarios/call-auth.xml) → server → sipp `-sn uas` on
 *    127.0.0.2 (scenarios/uas-rr.xml, registered as u0 first): INVITE, 407, ACK, INVITE with
 *    Proxy-Authorization, 100/180?/200, ACK and BYE along the Record-Route (the classic proxy adds
 *    none: they go to the callee's Contact through it); sipts with its default `auth.requests: true`.
 * sipts runs with every check of its defaults on (dialog tokens, a local From authenticated, the
 * guessing guard, bindings per AOR, the client table) except the per-source request and REGISTER
 * rates: sipp is one source, like a load balancer in front of the server (README, Limits).
 * Each server runs in a fresh process group pinned to CPU 0 (redis-server, when used, shares
 * CPU 0: it is part of the system under test), sipp on CPU 1. A ladder of rates per kind, climbed
 * until a run fails more than 0.1% of its calls or completes under 90% of its target.
 * Writes server/results.json and server/RESULTS.md. Figures are reported, never asserted.
 * Overrides: BENCH_SERVER_SECONDS (default 4), BENCH_SERVER_QUICK=1, BENCH_SERVER_USERS,
 * BENCH_SERVER_REGISTER_LADDER and BENCH_SERVER_CALL_LADDER (comma-separated rates),
 * BENCH_SERVER_KINDS (e.g. `sipts-sqlite,classic`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startUas } from '../transaction/proc.mjs';
import { runSipp, SIPP } from '../transaction/sipp.mjs';
import { groupStats } from './proc-stats.mjs';
import { renderMarkdown } from './report.mjs';
import { benchUsers, injectionFile, usersYaml } from './users.mjs';
import { freePort } from '../free-port.mjs';
import { gitProvenance } from '../provenance.mjs';

const env = process.env;
const QUICK = env.BENCH_SERVER_QUICK !== undefined;
const PINNED = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && os.availableParallelism() >= 2;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SERVER_BIN = fileURLToPath(new URL('../../apps/server/bin/sipts-server.js', import.meta.url));
const UAS_HOST = '127.0.0.2';
const REALM = 'localhost';
const SETTINGS = {
  seconds: Number(env.BENCH_SERVER_SECONDS ?? 4),
  users: Number(env.BENCH_SERVER_USERS ?? 5000),
  limit: 5000,
  rcvbuf: 4 * 1024 * 1024,
  maxFailureRate: 0.001,
  keepUp: 0.9,
  registerLadder: env.BENCH_SERVER_REGISTER_LADDER?.split(',').map(Number) ?? (QUICK ? [250, 500] : [250, 500, 1000, 1500, 2000, 3000, 4000]),
  callLadder: env.BENCH_SERVER_CALL_LADDER?.split(',').map(Number) ?? (QUICK ? [250, 500] : [250, 500, 1000, 1500, 2000, 3000]),
  kinds: env.BENCH_SERVER_KINDS?.split(',') ?? ['sipts-sqlite', 'sipts-redis', 'classic'],
  pinned: PINNED,
  cpuCount: os.availableParallelism(),
};

const live = new Set();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A detached child (its own process group) pinned to `cpu`, with a hard kill after `timeoutMs`. */
function startGroup(cmd, args, { cwd, cpu, timeoutMs, stdio = 'ignore' }) {
  const argv = PINNED ? ['-c', String(cpu), cmd, ...args] : args;
  const child = spawn(PINNED ? 'taskset' : cmd, argv, { cwd, stdio, detached: true });
  live.add(child.pid);
  child.on('error', () => undefined);
  const exited = new Promise((r) => child.on('exit', r));
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // gone
    }
  };
  const killer = setTimeout(() => kill('SIGKILL'), timeoutMs);
  return {
    pid: child.pid,
    exited,
    async stop(signal = 'SIGKILL') {
      kill(signal);
      const t = setTimeout(() => kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      clearTimeout(killer);
      live.delete(child.pid);
    },
  };
}

async function startRedis(dir) {
  const port = await freePort();
  const child = startGroup('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir, cpu: 0, timeoutMs: 3_600_000 });
  for (let i = 0; i < 100; i++) {
    const ok = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'latin1' }).stdout.trim() === 'PONG';
    if (ok) return { port, url: `redis://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop() };
    await sleep(100);
  }
  await child.stop();
  throw new Error('redis-server did not answer');
}

async function waitHealthy(httpPort, exited) {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 200 && !gone; i++) {
    try {
      const rs = await fetch(`http://127.0.0.1:${httpPort}/health`);
      if (rs.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(gone ? 'the server exited while starting' : 'the server did not become healthy');
}

/** apps/server through its bin, on a fresh data dir, with the bench users. */
async function startSipts(backend, dir, users, redis) {
  const port = await freePort();
  const httpPort = await freePort();
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const store = backend === 'redis' ? `{ kind: redis, url: "${redis.url}", prefix: "bench${port}:" }` : '{ kind: sqlite }';
  const config = `domains: [${REALM}, 127.0.0.1]
listen: { address: 127.0.0.1, udp: ${port}, tcp: false, tls: false, ws: false, wss: false }
dataDir: ${dataDir}
store: ${store}
registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 3600 }
auth: { algorithms: [MD5], requests: true }
routing: { forking: parallel, otherDomains: refuse, recordRoute: true }
limits: { registerPerSecondPerSource: 1000000, requestsPerSecondPerSource: 0 }
http: { address: 127.0.0.1, port: ${httpPort} }
log: { level: warn }
users:
${usersYaml(users, REALM)}
`;
  const file = join(dir, `server-${port}.yaml`);
  writeFileSync(file, config);
  const child = startGroup(process.execPath, [SERVER_BIN, '--config', file], { cwd: dir, cpu: 0, timeoutMs: 3_600_000 });
  await waitHealthy(httpPort, child.exited);
  const idleRss = groupStats(child.pid).largestRss;
  let c0 = groupStats(child.pid);
  let t0 = performance.now();
  const redisCpu = () => (redis === undefined ? 0 : groupStats(redis.pid).cpuMs);
  let r0 = redisCpu();
  return {
    port,
    mark() {
      c0 = groupStats(child.pid);
      r0 = redisCpu();
      t0 = performance.now();
    },
    stats() {
      const c = groupStats(child.pid);
      return { wallMs: performance.now() - t0, cpuMs: c.cpuMs - c0.cpuMs, rss: c.largestRss, idleRss, redisCpuMs: redisCpu() - r0 };
    },
    stop: () => child.stop('SIGTERM'),
  };
}

async function startClassic(dir, users) {
  const port = await freePort();
  const usersFile = join(dir, 'classic-users.json');
  writeFileSync(usersFile, JSON.stringify(users));
  const p = await startUas('../server/registrar-classic.mjs', { port, rcvbuf: SETTINGS.rcvbuf, usersFile, realm: REALM }, { cpu: 0, pinned: PINNED, timeoutMs: 3_600_000 });
  const idle = await p.request('stats', 'stats');
  return {
    port,
    async mark() {
      await p.request('mark', 'marked');
    },
    async stats() {
      const last = await p.request('stats', 'stats');
      return { wallMs: last.wallMs, cpuMs: last.cpuUserMs + last.cpuSystemMs, rss: last.rss, idleRss: idle.rss, redisCpuMs: 0 };
    },
    stop: p.stop,
  };
}

async function startServer(kind, dir, users) {
  if (kind === 'classic') return { ...(await startClassic(dir, users)), release: async () => undefined };
  const redis = kind === 'sipts-redis' ? await startRedis(dir) : undefined;
  const server = await startSipts(kind === 'sipts-redis' ? 'redis' : 'sqlite', dir, users, redis);
  return { ...server, release: async () => redis?.stop() };
}

async function measure(server, run) {
  await server.mark();
  const r = await run();
  const s = await server.stats();
  return { ...r, serverCpuPercent: (100 * s.cpuMs) / s.wallMs, redisCpuPercent: (100 * s.redisCpuMs) / s.wallMs, serverRss: s.rss, serverIdleRss: s.idleRss };
}

const passes = (r) => r.error === undefined && r.failureRate <= SETTINGS.maxFailureRate && r.completedPerSec >= SETTINGS.keepUp * r.targetRate;

async function registerRun(kind, rate, dir, users) {
  const server = await startServer(kind, dir, users);
  const inf = join(dir, `users-${kind}-${rate}.csv`);
  writeFileSync(inf, injectionFile(users));
  const scenario = join(HERE, 'scenarios', 'register-auth.xml');
  const localPort = await freePort();
  try {
    return await measure(server, () =>
      runSipp({ dir, port: server.port, localPort, scenario: ['-sf', scenario, '-inf', inf, '-auth_uri', REALM], rate, seconds: SETTINGS.seconds, limit: SETTINGS.limit, pinned: PINNED, cpu: 1, tag: `reg-${kind}-${rate}` }),
    );
  } finally {
    await server.stop();
    await server.release();
  }
}

async function callRun(kind, rate, dir, users) {
  const server = await startServer(kind, dir, users);
  const uasPort = await freePort(UAS_HOST);
  const uas = startGroup(SIPP, ['-sf', join(HERE, 'scenarios', 'uas-rr.xml'), '-t', 'u1', '-i', UAS_HOST, '-p', String(uasPort), '-nostdin', '-buff_size', '4194304'], { cwd: dir, cpu: 1, timeoutMs: (SETTINGS.seconds * 3 + 60) * 1000 });
  try {
    const bob = users[0];
    const inf = join(dir, `bob-${kind}-${rate}.csv`);
    writeFileSync(inf, injectionFile([bob], () => `sip:${bob.user}@${UAS_HOST}:${uasPort}`));
    const registered = spawnSync(SIPP, [`127.0.0.1:${server.port}`, '-sf', join(HERE, 'scenarios', 'register-contact.xml'), '-inf', inf, '-auth_uri', REALM, '-m', '1', '-t', 'u1', '-i', '127.0.0.1', '-p', String(await freePort()), '-timeout', '10s', '-nostdin'], { cwd: dir, encoding: 'latin1', timeout: 20_000 });
    if (registered.status !== 0) return { targetRate: rate, error: `registering ${bob.user} failed: sipp exit ${registered.status}` };
    const caller = users[1];
    const callerInf = join(dir, `caller-${kind}-${rate}.csv`);
    writeFileSync(callerInf, injectionFile([caller]));
    const localPort = await freePort();
    return await measure(server, () =>
      runSipp({ dir, port: server.port, localPort, scenario: ['-sf', join(HERE, 'scenarios', 'call-auth.xml'), '-inf', callerInf, '-s', bob.user, '-auth_uri', `${bob.user}@${REALM}`], rate, seconds: SETTINGS.seconds, limit: SETTINGS.limit, pinned: PINNED, cpu: 1, tag: `call-${kind}-${rate}` }),
    );
  } finally {
    await server.stop();
    await server.release();
    await uas.stop();
  }
}

async function ladder(kind, rates, run, dir, users) {
  const runs = [];
  for (const rate of rates) {
    const r = await run(kind, rate, dir, users);
    runs.push(r);
    console.log(`${run.name} ${kind} @${rate}/s: ${r.completedPerSec?.toFixed(0) ?? '-'}/s, failures ${((r.failureRate ?? NaN) * 100).toFixed(2)}%, server CPU ${r.serverCpuPercent?.toFixed(0) ?? '-'}%${kind === 'sipts-redis' ? ` + redis ${r.redisCpuPercent?.toFixed(0)}%` : ''}, RSS ${((r.serverRss ?? NaN) / 1048576).toFixed(0)} MB${r.error ? ` (${r.error})` : ''}`);
    if (!passes(r)) break;
  }
  const good = runs.filter(passes);
  const best = good.reduce((a, r) => (a === undefined || r.completedPerSec > a.completedPerSec ? r : a), undefined);
  return { runs, best };
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-server-'));
  mkdirSync(dir, { recursive: true });
  const users = benchUsers(SETTINGS.users);
  const kinds = SETTINGS.kinds;
  // Clean: nothing changed in the tree but this benchmark's own output files.
  const git = gitProvenance({ outputs: ['bench/server/results.json', 'bench/server/RESULTS.md'] });
  const results = { git, settings: SETTINGS, machine: { cpus: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg()[0] }, register: {}, calls: {} };
  try {
    for (const kind of kinds) results.register[kind] = await ladder(kind, SETTINGS.registerLadder, registerRun, dir, users);
    for (const kind of kinds) results.calls[kind] = await ladder(kind, SETTINGS.callLadder, callRun, dir, users);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = fileURLToPath(new URL('.', import.meta.url));
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(out, 'RESULTS.md'), renderMarkdown(results));
  console.log(renderMarkdown(results));
}

await main();
