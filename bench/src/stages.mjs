/**
 * Parser stage budget: ns per stage on one input, in one process, interleaved rounds, the best
 * round in CPU time of this process (process.cpuUsage: other processes on a shared machine inflate
 * wall time far more than the CPU time of this one).
 *   node src/stages.mjs [input] [rounds]     (needs the built dist of @sipts/message)
 * Stages are measured through the public API on the input's own header values, so each figure is
 * what that part of parseMessage costs. Prints a Markdown table for bench/PARSER-BUDGET.md.
 * Bounded: each stage runs 30,000 iterations per round, 5 rounds unless told.
 */
import * as msg from '@sipts/message';
import { readKeys } from './parsers/classic-model.mjs';
import { bytes, input, sip, td, text, value } from './stage-input.mjs';

const stages = [
  ['decode bytes to text (TextDecoder, fatal)', () => td.decode(bytes).length],
  ['split the header section into lines (indexOf on text)', () => {
    let n = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    return n;
  }],
  ['scan every byte once (Uint8Array loop)', () => {
    let n = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
    return n;
  }],
  ['scan every char once (charCodeAt loop)', () => {
    let n = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    return n;
  }],
];
const perHeader = [
  ['via', (v) => msg.parseVia(v).length],
  ['from', (v) => msg.parseNameAddr(v).uri.length],
  ['to', (v) => msg.parseNameAddr(v).uri.length],
  ['contact', (v) => msg.parseNameAddrList(v).length],
  ['cseq', (v) => msg.parseCSeq(v).seq],
  ['authorization', (v) => msg.parseAuthHeader(v).scheme.length],
];
for (const [name, fn] of perHeader) {
  const v = value(name) ?? (name === 'contact' ? value('m') : undefined);
  if (v !== undefined) stages.push([`parse ${name} value alone`, () => fn(v)]);
}
const uri = text.slice(text.indexOf(' ') + 1, text.indexOf(' SIP/2.0'));
if (!text.startsWith('SIP/')) stages.push(['parse the Request-URI alone (parseUri)', () => (msg.parseUri(uri) ? 1 : 0)]);
const parsed = msg.parseMessage(bytes);
const classicParsed = sip.parse(Buffer.from(bytes));
const strictOpt = { strict: true };
stages.push(
  ['parseMessage (default)', () => (msg.parseMessage(bytes).headers ? 1 : 0)],
  ['parseMessage strict', () => (msg.parseMessage(bytes, strictOpt).headers ? 1 : 0)],
  ['parseMessage + transaction keys', () => readKeys(msg.parseMessage(bytes))],
  ['classic sip.parse + transaction keys', () => readKeys(sip.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)))],
  ['stringify unmodified', () => msg.stringifyMessage(parsed).charCodeAt(100)],
  ['classic sip.stringify', () => sip.stringify(classicParsed).charCodeAt(100)],
  ['serializeMessage unmodified', () => msg.serializeMessage(parsed)[100]],
);

function run(fn, n) {
  let s = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) s += fn();
  const c = process.cpuUsage(c0);
  return [((c.user + c.system) * 1000) / n, s];
}
const N = 30_000;
const rounds = Number(process.argv[3] ?? 5);
const results = stages.map(() => []);
for (let round = 0; round < rounds; round++) {
  stages.forEach(([, fn], k) => {
    if (round === 0) run(fn, 5_000);
    results[k].push(run(fn, N)[0]);
  });
}
console.log(`| stage (${input}, ${bytes.length} bytes) | ns (best of ${rounds}, CPU time) |`);
console.log('|---|---:|');
stages.forEach(([label], k) => console.log(`| ${label} | ${Math.min(...results[k]).toFixed(0)} |`));
