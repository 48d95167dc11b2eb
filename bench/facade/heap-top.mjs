/**
 * The top allocating functions of a sampling heap profile (alloc.mjs with BENCH_ALLOC_HEAP_PROFILE):
 * self bytes per function, scaled to one unit; a built-in's bytes are listed with its caller.
 *   node facade/heap-top.mjs <file.heapprofile> <units> [top=25]
 */
import { readFileSync } from 'node:fs';

const [file, unitsText, topText] = process.argv.slice(2);
const units = Number(unitsText);
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byFunction = new Map();
let total = 0;
const label = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(packages|node_modules)\//, '')}:${String(f.lineNumber + 1)}`;
/** A built-in (no script: `set`, `join`, `Map`) is named with its caller, which is what can change. */
const walk = (node, parent) => {
  const f = node.callFrame;
  const name = f.url === '' && parent !== undefined ? `${label(f)} ← ${label(parent.callFrame)}` : label(f);
  const self = node.selfSize;
  total += self;
  if (self > 0) byFunction.set(name, (byFunction.get(name) ?? 0) + self);
  for (const c of node.children) walk(c, node);
};
walk(profile.head);
console.log(`total ${Math.round(total / units)} B per unit`);
for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${String(Math.round(bytes / units)).padStart(7)}  ${name}`);
