/**
 * `pnpm bench`: every (mode, parser, input) in a fresh child process, 3 rounds (interleaved, median
 * reported), then bytes allocated per parse and the browser bundle size. Writes ../results.json and
 * ../RESULTS.md. Exits non-zero only when @sipts/message itself failed somewhere (a peer that fails
 * is recorded in the results). Never asserts timings.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import os from 'node:os';
import { allConfigs, idOf, INPUT_NAMES } from './configs.mjs';
import { renderMarkdown } from './report.mjs';
import { evaluateTargets } from './targets.mjs';
import { gitProvenance, repoPath } from '../provenance.mjs';

const require = createRequire(import.meta.url);
// Overridable for a quick smoke run, e.g. BENCH_ROUNDS=1 BENCH_RUN_MS=100 BENCH_WARMUP=2000.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SETTINGS = {
  rounds: ROUNDS,
  warmup: Number(process.env.BENCH_WARMUP ?? 20_000),
  warmupMaxMs: 1_500,
  maxIterations: 500_000,
  runMs: Number(process.env.BENCH_RUN_MS ?? 1_000),
};
const here = (f) => new URL(f, import.meta.url);

function runChild(script, args, flags = []) {
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(here(script)), JSON.stringify(args)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line);
    if (r.status !== 0 && parsed.ok) return { ok: false, error: `exit ${r.status}` };
    return parsed;
  } catch {
    const why = r.error ? String(r.error) : `exit ${r.status ?? r.signal}`;
    return { ok: false, error: `${why}: ${(r.stderr ?? '').trim().split('\n').slice(0, 5).join(' | ')}` };
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** Hash of the built parser, to notice a rebuild by someone else in the middle of a run. */
const distHash = () => createHash('sha256').update(readFileSync(require.resolve('@sipts/message'))).digest('hex').slice(0, 16);

/** The commit measured, and whether the tree was clean apart from this run's own result files. */
const gitState = () => gitProvenance({ outputs: ['bench/RESULTS.md', 'bench/results.json'] });

function main() {
  const started = new Date();
  const git = gitState();
  const loadavgAtStart = os.loadavg();
  const distAtStart = distHash();
  const t0 = Date.now();
  const configs = allConfigs();
  const runs = new Map(configs.map((c) => [idOf(c), { ...c, id: idOf(c), samples: [], error: undefined }]));
  const total = configs.length * ROUNDS;
  let k = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of configs) {
      k++;
      const entry = runs.get(idOf(c));
      if (entry.error !== undefined) continue; // failed in an earlier round: deterministic, skip
      const r = runChild('runner.mjs', {
        ...c,
        warmup: SETTINGS.warmup,
        warmupMs: SETTINGS.warmupMaxMs,
        maxIter: SETTINGS.maxIterations,
        runMs: SETTINGS.runMs,
      });
      if (r.ok) {
        entry.samples.push(r);
        console.log(`[${k}/${total}] ${entry.id}: ${fmt(r.msgPerSec)} msg/s`);
      } else {
        entry.error = r.error;
        console.log(`[${k}/${total}] ${entry.id}: FAILED ${r.error}`);
      }
    }
  }
  for (const e of runs.values()) {
    if (e.samples.length > 0) {
      const rates = e.samples.map((s) => s.msgPerSec);
      e.median = median(rates);
      e.spread = (Math.max(...rates) - Math.min(...rates)) / e.median;
      e.gcShare = median(e.samples.map((s) => s.gcShare));
    }
  }

  const ALLOC_FLAGS = ['--expose-gc', '--min-semi-space-size=192', '--max-semi-space-size=192'];
  const alloc = [];
  for (const input of INPUT_NAMES) {
    for (const parser of ['ours', 'classic']) {
      const r = runChild('alloc.mjs', { parser, input, n: 5000 }, ALLOC_FLAGS);
      alloc.push({ parser, input, ...r });
      console.log(`alloc ${parser}/${input}: ${r.ok ? `${fmt(r.bytesPerParse)} B/parse` : `FAILED ${r.error}`}`);
    }
  }

  const scaling = runChild('scaling.mjs', {});
  console.log(`scaling: ${scaling.ok ? 'done' : `FAILED ${scaling.error}`}`);

  const bundle = runChild('bundle-size.mjs', {});
  console.log(`bundle: ${bundle.ok ? `${fmt(bundle.minBytes)} B min, ${fmt(bundle.gzipBytes)} B min+gzip` : `FAILED ${bundle.error}`}`);

  const cpus = os.cpus();
  const version = (p) => require(`${p}/package.json`).version;
  const results = {
    date: started.toISOString(),
    git,
    durationSeconds: (Date.now() - t0) / 1000,
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      node: process.version,
      v8: process.versions.v8,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadavgAtStart,
      loadavgAtEnd: os.loadavg(),
    },
    versions: {
      '@sipts/message': version('@sipts/message'),
      sip: version('sip'),
      'drachtio-sip': version('drachtio-sip'),
      jssip: version('jssip'),
      esbuild: version('esbuild'),
    },
    settings: SETTINGS,
    runs: [...runs.values()],
    alloc,
    scaling,
    bundle,
    dist: { file: repoPath(require.resolve('@sipts/message')), sha256AtStart: distAtStart, sha256AtEnd: distHash() },
  };
  if (results.dist.sha256AtStart !== results.dist.sha256AtEnd) console.log('WARNING: @sipts/message dist changed during the run');
  results.targets = evaluateTargets(results);
  writeFileSync(here('../results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(here('../RESULTS.md'), renderMarkdown(results));
  console.log(`wrote bench/RESULTS.md and bench/results.json in ${results.durationSeconds.toFixed(0)} s`);

  const oursFailed =
    results.runs.some((r) => r.parser === 'ours' && r.error !== undefined) ||
    alloc.some((a) => a.parser === 'ours' && !a.ok) ||
    !scaling.ok ||
    !bundle.ok;
  if (oursFailed) {
    console.error('@sipts/message failed in at least one configuration; see RESULTS.md');
    process.exitCode = 1;
  }
}

main();
