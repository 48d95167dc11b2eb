/**
 * A/B of two builds of @sipts/message in one process, against the classic package, interleaved,
 * best of N rounds, timed in CPU time of this process (process.cpuUsage):
 *   node src/ab-builds.mjs <dist A>/index.js <dist B>/index.js [input] [rounds]
 * Copy a build aside first (`cp -r ../packages/message/dist /tmp/base-dist`), change, rebuild.
 * Prints ns per call for each build and the ratio to the classic package in the same process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { INPUTS } from './inputs.mjs';
import { readAll, readKeys } from './parsers/classic-model.mjs';
import { bestCpuNs } from './best-cpu.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');
const [pathA, pathB, input = 'invite', roundsText = '7'] = process.argv.slice(2);
if (pathA === undefined || pathB === undefined) throw new Error('usage: ab-builds.mjs <dist A>/index.js <dist B>/index.js [input] [rounds]');
const A = await import(pathToFileURL(resolve(pathA)).href);
const B = await import(pathToFileURL(resolve(pathB)).href);
const rounds = Number(roundsText);
const buf = readFileSync(new URL(`../inputs/${INPUTS[input].file}`, import.meta.url));
const bytes = new Uint8Array(buf);

function variantsOf(lib) {
  const parsed = lib.parseMessage(bytes);
  return {
    keys: () => readKeys(lib.parseMessage(bytes)),
    all: () => readAll(lib.parseMessage(bytes)),
    stringify: () => (lib.stringifyMessage ?? lib.stringify)(parsed).charCodeAt(200), // stringify before the rename
    serializeMessage: () => lib.serializeMessage(parsed)[200],
  };
}
const cparsed = sip.parse(buf);
const classic = {
  keys: () => readKeys(sip.parse(buf)),
  all: () => readAll(sip.parse(buf)),
  stringify: () => sip.stringify(cparsed).charCodeAt(200),
  serializeMessage: () => Buffer.from(sip.stringify(cparsed), 'latin1')[200],
};
const sides = { A: variantsOf(A), B: variantsOf(B), classic };
// One round runs every variant of every side in turn, as before: drift of the machine hits all alike.
const named = Object.entries(sides).flatMap(([side, variants]) => Object.entries(variants).map(([name, fn]) => [`${name} ${side}`, fn]));
const best = bestCpuNs(Object.fromEntries(named), { rounds });
for (const name of Object.keys(classic)) {
  const a = best[`${name} A`];
  const b = best[`${name} B`];
  const c = best[`${name} classic`];
  console.log(`${input} ${name.padEnd(17)} A ${a.toFixed(0).padStart(5)} ns (${(c / a).toFixed(2)}x)  B ${b.toFixed(0).padStart(5)} ns (${(c / b).toFixed(2)}x)  classic ${c.toFixed(0).padStart(5)} ns  B/A ${(b / a).toFixed(3)}`);
}
