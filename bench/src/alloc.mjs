/**
 * Bytes allocated per parse, in a fresh process started with --expose-gc and a young generation
 * large enough that N parses fit without a collection:
 *   node --expose-gc --min-semi-space-size=M --max-semi-space-size=M alloc.mjs '{"parser","input","n"}'
 * Warm up (so compiled code and caches are not counted), gc(), read heapUsed, run N parses keeping
 * nothing, read heapUsed again. A PerformanceObserver checks that no GC ran in between.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { INPUTS, diffKeys, loadInput } from './inputs.mjs';

const { parser, input, n = 10_000, warmup = 20_000 } = JSON.parse(process.argv[2]);

function out(result, code = 0) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = code;
}

async function main() {
  if (typeof globalThis.gc !== 'function') return out({ ok: false, error: 'run with --expose-gc' }, 1);
  const p = await import(`./parsers/${parser}.mjs`);
  const bytes = loadInput(input);
  const diff = diffKeys(p.keys(p.parse(bytes)), INPUTS[input].expected);
  if (diff.length > 0) return out({ ok: false, error: `${parser} on '${input}': ${diff.join('; ')}` }, 1);

  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += p.parse(bytes).headers === undefined ? 0 : 1;

  const gcs = [];
  const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  globalThis.gc();
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 20)); // deliver the entries of the forced GCs
  const forced = gcs.length;

  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) sink += p.parse(bytes).headers === undefined ? 0 : 1;
  const after = process.memoryUsage().heapUsed;

  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  const during = gcs.length - forced;
  if (during > 0) return out({ ok: false, error: `${during} GC(s) ran during the ${n} parses; enlarge the semi-space` }, 1);
  out({ ok: true, n, bytesPerParse: (after - before) / n, heapDelta: after - before, sink });
}

main().catch((e) => out({ ok: false, error: String(e?.stack ?? e) }, 1));
