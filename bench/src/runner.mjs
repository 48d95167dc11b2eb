/**
 * One measurement in a fresh process: node runner.mjs '{"parser","input","mode","serializer"}'.
 * Verifies the parse first (exit 1 with {ok:false,error} on stdout otherwise), warms up, then runs a
 * loop bounded in iterations and time. Prints one JSON line.
 *
 * Modes: keys (parse + transaction keys), all (parse + every header), serialize (an unmodified
 * parsed message), build (the INVITE built as a plain object, then serialized).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { INPUTS, buildInvite, diffKeys, loadInput } from './inputs.mjs';
import { outputLength } from './touch.mjs';

const cfg = JSON.parse(process.argv[2]);
const { parser, input, mode, serializer } = cfg;
const WARMUP = cfg.warmup ?? 20_000;
const WARMUP_MS = cfg.warmupMs ?? 1_500;
const MAX_ITER = cfg.maxIter ?? 500_000;
const RUN_MS = cfg.runMs ?? 1_000;
const BATCH = 200;

function done(result, code = 0) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = code;
}

function describe(e) {
  if (!(e instanceof Error)) return String(e);
  const extra = [e.code !== undefined ? `code=${e.code}` : '', e.offset !== undefined ? `offset=${e.offset}` : '']
    .filter(Boolean)
    .join(' ');
  return `${e.name}: ${e.message}${extra ? ` (${extra})` : ''}`;
}

function toBytes(out) {
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Builds the measured operation after checking that it produces the right thing. */
function prepare(p, bytes, expected) {
  const check = (m, what) => {
    const diff = diffKeys(p.keys(m), expected);
    if (diff.length > 0) throw new Error(`${what}: wrong transaction keys: ${diff.join('; ')}`);
  };
  let stage = 'parse';
  try {
    if (mode === 'keys' || mode === 'all') {
      check(p.parse(bytes), 'parse');
      stage = mode === 'keys' ? 'read keys' : 'read all headers';
      if (mode === 'keys') p.readKeys(p.parse(bytes));
      else p.readAll(p.parse(bytes));
      return mode === 'keys' ? () => p.readKeys(p.parse(bytes)) : () => p.readAll(p.parse(bytes));
    }
    stage = 'serializer lookup';
    const ser = p.serializers[serializer];
    if (ser === undefined) throw new Error(`${parser} has no serializer '${serializer}'`);
    if (mode === 'serialize') {
      stage = 'parse';
      const m = p.parse(bytes);
      check(m, 'parse');
      stage = serializer;
      check(p.parse(toBytes(ser(m))), `re-parse of ${serializer} output`);
      return () => outputLength(ser(m));
    }
    if (mode === 'build') {
      stage = serializer;
      check(p.parse(toBytes(ser(buildInvite()))), `re-parse of ${serializer} output`);
      return () => outputLength(ser(buildInvite()));
    }
    throw new Error(`unknown mode '${mode}'`);
  } catch (e) {
    throw new Error(`${parser} failed on input '${input}' at ${stage}: ${describe(e)}`, { cause: e });
  }
}

function loop(op, maxIter, maxMs) {
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < maxIter && t - t0 < maxMs) {
    for (let i = 0; i < BATCH; i++) sink += op();
    n += BATCH;
    t = performance.now();
  }
  return { n, ms: t - t0, sink, t0, t1: t };
}

async function main() {
  const p = await import(`./parsers/${parser}.mjs`);
  const bytes = loadInput(mode === 'build' ? 'invite' : input);
  const expected = INPUTS[mode === 'build' ? 'invite' : input].expected;
  let op;
  try {
    op = prepare(p, bytes, expected);
  } catch (e) {
    return done({ ok: false, error: e.message }, 1);
  }

  const gc = [];
  const obs = new PerformanceObserver((list) => gc.push(...list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });

  const warm = loop(op, WARMUP, WARMUP_MS);
  const run = loop(op, MAX_ITER, RUN_MS);
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  const inRun = gc.filter((g) => g.startTime >= run.t0 && g.startTime < run.t1);
  const gcMs = inRun.reduce((s, g) => s + g.duration, 0);

  done({
    ok: true,
    iterations: run.n,
    ms: run.ms,
    msgPerSec: (run.n / run.ms) * 1000,
    nsPerMsg: (run.ms * 1e6) / run.n,
    warmupIterations: warm.n,
    gcCount: inRun.length,
    gcShare: gcMs / run.ms,
    sink: run.sink + warm.sink,
  });
}

main().catch((e) => done({ ok: false, error: describe(e) }, 1));
