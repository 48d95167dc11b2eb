/**
 * Bytes allocated per call of each parser stage on one input (the bytes side of the stage budget
 * in PARSER-BUDGET.md), measured as alloc.mjs measures a whole parse: warm up, gc(), heapUsed
 * before and after N calls in a young generation large enough that no GC runs in between.
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 src/alloc-stages.mjs [input]
 * Needs the built dist of @sipts/message. Bounded: 5,000 calls per stage.
 */
import * as msg from '@sipts/message';
import { readKeys, readAll } from './parsers/classic-model.mjs';
import { bytes, input, sip, td, value } from './stage-input.mjs';
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const keep = [];
const stages = [['decode bytes to text (TextDecoder, fatal)', () => td.decode(bytes)]];
for (const [name, fn] of [
  ['via', (v) => msg.parseVia(v)],
  ['from', (v) => msg.parseNameAddr(v)],
  ['to', (v) => msg.parseNameAddr(v)],
  ['contact', (v) => msg.parseNameAddrList(v)],
  ['cseq', (v) => msg.parseCSeq(v)],
]) {
  const v = value(name) ?? (name === 'contact' ? value('m') : undefined);
  if (v !== undefined) stages.push([`parse ${name} value alone`, () => fn(v)]);
}
const parsed = msg.parseMessage(bytes);
const classicParsed = sip.parse(Buffer.from(bytes));
stages.push(
  ['parseMessage (default)', () => msg.parseMessage(bytes)],
  ['parseMessage strict', () => msg.parseMessage(bytes, { strict: true })],
  ['parseMessage + read every header', () => {
    const m = msg.parseMessage(bytes);
    readAll(m);
    return m;
  }],
  ['classic sip.parse', () => sip.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))],
  ['stringify unmodified', () => msg.stringifyMessage(parsed).charCodeAt(100)],
  ['classic sip.stringify', () => sip.stringify(classicParsed).charCodeAt(100)],
);

const N = 5_000;
console.log(`| stage (${input}, ${bytes.length} bytes) | B per call |`);
console.log('|---|---:|');
for (const [label, fn] of stages) {
  for (let i = 0; i < 20_000; i++) keep[0] = fn();
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) keep[0] = fn();
  const after = process.memoryUsage().heapUsed;
  console.log(`| ${label} | ${((after - before) / N).toFixed(0)} |`);
}
if (readKeys(parsed) === -1) console.log('unreachable');
