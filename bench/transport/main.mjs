/**
 * `pnpm bench:transport` (also run by `pnpm bench`): the @sipts/transport benchmark.
 *
 * 1. Throughput: OPTIONS in, 200 out through createTransportLayer alone (no transactions), against
 *    the ceiling of a bare Node echo of the same bytes, over UDP, TCP and TLS. Every run starts a
 *    fresh server process and a fresh generator process (load.mjs), pinned to separate CPUs when
 *    taskset is there; rounds alternate echo and layer; medians are reported.
 * 2. Memory per idle TCP and TLS connection (memory.mjs), for the layer and for bare node:net/tls.
 *
 * Writes transport/results.json and transport/RESULTS.md. Exits non-zero when the transport layer
 * failed (an error, or a reply that was not a 200); figures and targets are reported, never asserted.
 * Overrides for a quick smoke run: BENCH_TRANSPORT_ROUNDS=1 BENCH_TRANSPORT_RUN_MS=500.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { PINNED, startChild, startServer } from './child.mjs';
import { idleMemory } from './memory.mjs';
import { renderMarkdown } from './report.mjs';
import { gitProvenance, repoPath } from '../provenance.mjs';

const require = createRequire(import.meta.url);
const env = process.env;
const HOST = '127.0.0.1';
const PROTOCOLS = ['UDP', 'TCP', 'TLS'];
const runOverride = env.BENCH_TRANSPORT_RUN_MS !== undefined ? Number(env.BENCH_TRANSPORT_RUN_MS) : undefined;
const SETTINGS = {
  rounds: Number(env.BENCH_TRANSPORT_ROUNDS ?? 3),
  window: 100,
  connections: 4,
  warmupMs: Number(env.BENCH_TRANSPORT_WARMUP_MS ?? 1000),
  runMs: { UDP: runOverride ?? 5000, TCP: runOverride ?? 3000, TLS: runOverride ?? 3000 },
  maxRequests: 500_000,
  timeoutMs: 1000,
  idleConnections: Number(env.BENCH_TRANSPORT_IDLE ?? 1000),
  memoryRounds: Number(env.BENCH_TRANSPORT_ROUNDS ?? 3),
  pinned: PINNED,
};

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function makeCert(dir) {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  return { key, cert };
}

/** One generator run against a fresh server of `kind`. */
async function throughputRun(kind, protocol, tls) {
  const server = await startServer(kind, { host: HOST, ...tls });
  const runMs = SETTINGS.runMs[protocol];
  const budget = SETTINGS.warmupMs + runMs + 20_000;
  let gen;
  try {
    gen = startChild(
      'load.mjs',
      {
        protocol,
        host: HOST,
        port: server.ports[protocol.toLowerCase()],
        window: SETTINGS.window,
        connections: SETTINGS.connections,
        warmupMs: SETTINGS.warmupMs,
        runMs,
        maxRequests: SETTINGS.maxRequests,
        timeoutMs: SETTINGS.timeoutMs,
        ca: tls.cert,
      },
      { cpu: 1, timeoutMs: budget },
    );
    const r = await gen.next('result', budget);
    if (kind === 'layer') {
      server.send({ cmd: 'stats' });
      r.server = (await server.next('stats', 5000)).stats;
    }
    // The replies must be what each server sends: 200s from the layer, the requests from the echo.
    const expected = kind === 'layer' ? r.ok200 : r.echoed;
    if (r.ok && expected !== r.completed) {
      r.ok = false;
      r.error = `${r.completed} replies, ${expected} of the expected kind (200: ${r.ok200}, echoed: ${r.echoed}, other: ${r.otherStatus})`;
    }
    return r;
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  } finally {
    await gen?.stop();
    await server.stop();
  }
}

function summarize(samples) {
  const ok = samples.filter((s) => s.ok);
  const rates = ok.map((s) => s.msgPerSec);
  return {
    median: median(rates),
    min: rates.length ? Math.min(...rates) : NaN,
    max: rates.length ? Math.max(...rates) : NaN,
    p50Us: median(ok.map((s) => s.latencyUs.p50)),
    p99Us: median(ok.map((s) => s.latencyUs.p99)),
    lost: ok.reduce((a, s) => a + s.lost, 0),
    errors: samples.filter((s) => !s.ok).map((s) => s.error),
  };
}


async function main() {
  const t0 = Date.now();
  const started = new Date();
  const loadavgAtStart = os.loadavg();
  const dist = require.resolve('@sipts/transport/node');
  const dir = mkdtempSync(join(os.tmpdir(), 'sipts-bench-transport-'));
  try {
    const tls = makeCert(dir);
    const samples = Object.fromEntries(PROTOCOLS.map((p) => [p, { echo: [], layer: [] }]));
    for (let round = 0; round < SETTINGS.rounds; round++) {
      for (const protocol of PROTOCOLS) {
        const order = round % 2 === 0 ? ['echo', 'layer'] : ['layer', 'echo'];
        for (const kind of order) {
          const r = await throughputRun(kind, protocol, tls);
          samples[protocol][kind].push(r);
          const what = r.ok ? `${fmt(r.msgPerSec)} msg/s (p50 ${r.latencyUs.p50} µs, p99 ${r.latencyUs.p99} µs, lost ${r.lost})` : `FAILED ${r.error}`;
          console.log(`[round ${round + 1}/${SETTINGS.rounds}] ${protocol} ${kind}: ${what}`);
        }
      }
    }
    const throughput = {};
    for (const protocol of PROTOCOLS) {
      const echo = summarize(samples[protocol].echo);
      const layer = summarize(samples[protocol].layer);
      // Each round's layer run next to its echo run: the ratio of the pair is less exposed to drift
      // in the machine's load than the ratio of the medians.
      const paired = samples[protocol].layer.map((l, i) => {
        const e = samples[protocol].echo[i];
        return l.ok && e?.ok ? l.msgPerSec / e.msgPerSec : NaN;
      }).filter(Number.isFinite);
      throughput[protocol] = { echo, layer, ratio: layer.median / echo.median, pairedRatios: paired, pairedRatioMedian: median(paired), samples: samples[protocol] };
      console.log(`${protocol}: layer ${fmt(layer.median)} msg/s, echo ${fmt(echo.median)} msg/s, ratio ${(100 * throughput[protocol].ratio).toFixed(1)}% (per round: ${paired.map((x) => (100 * x).toFixed(1) + '%').join(', ')})`);
    }

    const memory = [];
    for (const protocol of ['TCP', 'TLS']) {
      for (const kind of ['echo', 'layer']) {
        const reps = [];
        for (let rep = 0; rep < SETTINGS.memoryRounds; rep++) reps.push(await idleMemory({ kind, protocol, n: SETTINGS.idleConnections, host: HOST, ...tls }));
        const ok = reps.filter((r) => r.ok);
        const per = (k) => median(ok.map((r) => r.perConnection[k]));
        const m = {
          kind,
          protocol,
          n: SETTINGS.idleConnections,
          ok: ok.length === reps.length,
          error: reps.find((r) => !r.ok)?.error,
          perConnection: { rss: per('rss'), heapUsed: per('heapUsed'), native: per('native'), external: per('external'), arrayBuffers: per('arrayBuffers') },
          first: ok[0],
          samples: reps,
        };
        memory.push(m);
        const what = ok.length > 0 ? `RSS ${fmt(m.perConnection.rss)} B, heapUsed ${fmt(m.perConnection.heapUsed)} B per connection (median of ${ok.length})` : `FAILED ${m.error}`;
        console.log(`idle ${protocol} ${kind}: ${what}${m.ok ? '' : ` (failed: ${m.error})`}`);
      }
    }

    const cpus = os.cpus();
    const results = {
      date: started.toISOString(),
      durationSeconds: (Date.now() - t0) / 1000,
      machine: {
        cpu: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memoryBytes: os.totalmem(),
        node: process.version,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        loadavgAtStart,
        loadavgAtEnd: os.loadavg(),
      },
      git: gitProvenance({ outputs: ['bench/transport/results.json', 'bench/transport/RESULTS.md'] }),
      source: { dist: repoPath(dist) },
      settings: SETTINGS,
      throughput,
      memory,
      targets: {
        // The per-round pairs (echo and layer run back to back) are the headline: on a loaded
        // machine one slow echo run moves the ratio of the medians a lot.
        udpRatio: { target: 0.7, value: throughput.UDP.pairedRatioMedian, ratioOfMedians: throughput.UDP.ratio, met: throughput.UDP.pairedRatioMedian >= 0.7 },
        idleTcpBytes: {
          target: 4500,
          reference: 'Kamailio: about 4.5 KB per TCP connection',
          value: memory.find((m) => m.kind === 'layer' && m.protocol === 'TCP')?.perConnection.rss ?? null,
        },
      },
    };
    results.targets.idleTcpBytes.met = Number.isFinite(results.targets.idleTcpBytes.value) && results.targets.idleTcpBytes.value <= 4500;
    const here = (f) => new URL(f, import.meta.url);
    writeFileSync(here('results.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(here('RESULTS.md'), renderMarkdown(results));
    console.log(`wrote bench/transport/RESULTS.md and results.json in ${results.durationSeconds.toFixed(0)} s`);

    const layerFailed = PROTOCOLS.some((p) => throughput[p].layer.errors.length > 0) || memory.some((m) => m.kind === 'layer' && !m.ok);
    if (layerFailed) {
      console.error('the transport layer failed in at least one run; see RESULTS.md');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
