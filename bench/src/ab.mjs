/**
 * Quick A/B of parse variants in one process, interleaved, best of N rounds, timed in CPU time of
 * this process (process.cpuUsage), which a shared machine disturbs less than wall time:
 *   node src/ab.mjs [input] [rounds]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseMessage, stringifyMessage } from '@sipts/message';
import { INPUTS } from './inputs.mjs';
import { readAll, readKeys } from './parsers/classic-model.mjs';
import { bestCpuNs } from './best-cpu.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');
const input = process.argv[2] ?? 'invite';
const rounds = Number(process.argv[3] ?? 7);
const buf = readFileSync(new URL(`../inputs/${INPUTS[input].file}`, import.meta.url));
const bytes = new Uint8Array(buf);
const strict = { strict: true };
const parsed = parseMessage(bytes);
const cparsed = sip.parse(buf);
const variants = {
  'keys default': () => readKeys(parseMessage(bytes)),
  'keys strict': () => readKeys(parseMessage(bytes, strict)),
  'keys classic': () => readKeys(sip.parse(buf)),
  'all default': () => readAll(parseMessage(bytes)),
  'all strict': () => readAll(parseMessage(bytes, strict)),
  'all classic': () => readAll(sip.parse(buf)),
  'stringify ours': () => stringifyMessage(parsed).charCodeAt(200),
  'stringify classic': () => sip.stringify(cparsed).charCodeAt(200),
};
const best = bestCpuNs(variants, { rounds, warm: 5000, n: 50_000 });
for (const [name, ns] of Object.entries(best)) console.log(name.padEnd(20), ns.toFixed(0).padStart(6), 'ns', (1e6 / ns).toFixed(0).padStart(6), 'k/s');
console.log('ratios: keys', (best['keys classic'] / best['keys default']).toFixed(2), 'all', (best['all classic'] / best['all default']).toFixed(2), 'stringify', (best['stringify classic'] / best['stringify ours']).toFixed(2));
