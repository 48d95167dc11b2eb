/**
 * The floor of an eager parse into the classic object model, on this machine: a parser that does
 * only what any such parse must (decode the text, split the lines, recognise the header names,
 * build the message, Via, From, To and CSeq objects with their parameters, slice every other
 * value) and none of the checks @sipts/message makes (no token, URI, limit or duplicate checks, no
 * folding, no compact forms beyond a few, no raw-line records for the serializer, no error paths).
 * It is a measuring stick, not a parser: it is right only on well-formed everyday messages.
 *
 *   node src/floor.mjs [input] [rounds]     (needs the built dist of @sipts/message)
 *
 * Runs the floor, `parseMessage` and the classic `sip.parse` (each + reading the transaction
 * keys) interleaved in one process, best round of 30,000 calls in CPU time, after checking that
 * the floor yields the same keys as the others. See bench/PARSER-BUDGET.md, fourth pass.
 */
import { parseMessage } from '@sipts/message';
import { INPUTS, diffKeys, loadInput } from './inputs.mjs';
import { keys, readKeys } from './parsers/classic-model.mjs';
import { bestCpuNs } from './best-cpu.mjs';
import { createRequire } from 'node:module';

const sip = createRequire(import.meta.url)('sip');
const [input = 'invite', roundsText = '7'] = process.argv.slice(2);
const buf = loadInput(input);
const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);

const decoder = new TextDecoder('utf-8', { fatal: true });
const TOKEN = new Uint8Array(256);
for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;
const VALUE = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) VALUE[c] = c === 0x3b || c === 0x2c || c === 0x3e ? 0 : 1;
const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;

/** The same plain-object constructors as @sipts/message uses (made by `new`, prototype Object.prototype). */
function plain(init) {
  init.prototype = Object.prototype;
  return init;
}
const Headers = plain(function () {});
const Via = plain(function (version, protocol, host, port, params) {
  this.version = version;
  this.protocol = protocol;
  this.host = host;
  this.port = port;
  this.params = params;
});
const NameAddr = plain(function (name, uri, params) {
  this.name = name;
  this.uri = uri;
  this.params = params;
});
const Request = plain(function (method, uri, headers) {
  this.method = method;
  this.uri = uri;
  this.version = '2.0';
  this.headers = headers;
  this.content = '';
});
const Response = plain(function (status, reason, headers) {
  this.status = status;
  this.reason = reason;
  this.version = '2.0';
  this.headers = headers;
  this.content = '';
});

const NAMES = ['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'max-forwards', 'content-length'].map((n) => new TextEncoder().encode(n));
/** Compact forms by lower-case letter: an index into NAMES. */
const COMPACT = new Int8Array(128).fill(-1);
for (const [c, n] of [['v', 0], ['f', 1], ['t', 2], ['i', 3], ['m', 5], ['l', 7]]) COMPACT[c.charCodeAt(0)] = n;

/** True when `b[i, …)` spells `name` (lower-case bytes), in any case. */
function spells(b, i, name) {
  for (let k = 0; k < name.length; k++) if (LOWER[b[i + k]] !== name[k]) return false;
  return true;
}

/** The header name `b[i, i + len)`: an index into NAMES, or -1. */
function nameAt(b, i, len) {
  if (len === 1) return COMPACT[LOWER[b[i]]];
  for (let n = 0; n < NAMES.length; n++) if (NAMES[n].length === len && LOWER[b[i]] === NAMES[n][0] && spells(b, i, NAMES[n])) return n;
  return -1;
}

function params(s, b, i, end, out) {
  for (;;) {
    while (b[i] === 0x20) i++;
    if (i >= end || b[i] !== 0x3b) return i;
    const nameStart = ++i;
    while (TOKEN[b[i]] === 1) i++;
    const nameEnd = i;
    let value = null;
    if (b[i] === 0x3d) {
      const valueStart = ++i;
      while (VALUE[b[i]] === 1 && i < end) i++;
      value = s.slice(valueStart, i);
    }
    if (nameEnd - nameStart === 3 && b[nameStart] === 0x74 && b[nameStart + 1] === 0x61 && b[nameStart + 2] === 0x67) out.tag = value;
    else if (nameEnd - nameStart === 6 && b[nameStart] === 0x62) out.branch = value;
    else out[s.slice(nameStart, nameEnd).toLowerCase()] = value;
  }
}

function via(s, b, i, end) {
  let j = s.indexOf('/', s.indexOf('/', i) + 1);
  const version = j - i === 7 ? '2.0' : s.slice(s.indexOf('/', i) + 1, j).trim();
  const protocolStart = ++j;
  while (TOKEN[b[j]] === 1) j++;
  const protocol = j - protocolStart === 3 && b[protocolStart] === 0x55 ? 'UDP' : s.slice(protocolStart, j);
  while (b[j] === 0x20) j++;
  const hostStart = j;
  while (TOKEN[b[j]] === 1) j++;
  const host = s.slice(hostStart, j);
  let port;
  if (b[j] === 0x3a) {
    port = 0;
    for (j++; b[j] >= 0x30 && b[j] <= 0x39; j++) port = port * 10 + b[j] - 0x30;
  }
  const p = {};
  params(s, b, j, end, p);
  return [new Via(version, protocol, host, port, p)];
}

function nameAddr(s, b, i, end) {
  let name;
  let uri;
  const lt = s.indexOf('<', i);
  if (lt !== -1 && lt < end) {
    let nameEnd = lt;
    while (b[nameEnd - 1] === 0x20) nameEnd--;
    if (nameEnd > i) name = s.slice(i, nameEnd);
    const gt = s.indexOf('>', lt);
    uri = s.slice(lt + 1, gt);
    i = gt + 1;
  } else {
    const start = i;
    while (i < end && b[i] !== 0x3b && b[i] !== 0x20) i++;
    uri = s.slice(start, i);
  }
  const p = {};
  params(s, b, i, end, p);
  return new NameAddr(name, uri, p);
}

/** The floor parse of `b` (a whole, well-formed message). */
export function floorParse(b) {
  const s = decoder.decode(b);
  let eol = s.indexOf('\r\n');
  const headers = new Headers();
  let message;
  if (s.startsWith('SIP/')) {
    message = new Response(Number(s.slice(8, 11)), s.slice(12, eol), headers);
  } else {
    const sp1 = s.indexOf(' ');
    message = new Request(s.slice(0, sp1), s.slice(sp1 + 1, s.lastIndexOf(' ', eol)), headers);
  }
  let pos = eol + 2;
  while (b[pos] !== 0x0d) {
    let i = pos;
    while (TOKEN[b[i]] === 1) i++;
    const n = nameAt(b, pos, i - pos);
    const nameEnd = i;
    while (b[i] === 0x20 || b[i] === 0x3a) i++;
    eol = s.indexOf('\r\n', i);
    let end = eol;
    while (b[end - 1] === 0x20) end--;
    switch (n) {
      case 0: headers.via = via(s, b, i, end); break;
      case 1: headers.from = nameAddr(s, b, i, end); break;
      case 2: headers.to = nameAddr(s, b, i, end); break;
      case 3: headers['call-id'] = s.slice(i, end); break;
      case 4: {
        let seq = 0;
        let j = i;
        for (; b[j] >= 0x30 && b[j] <= 0x39; j++) seq = seq * 10 + b[j] - 0x30;
        while (b[j] === 0x20) j++;
        headers.cseq = { seq, method: end - j === 6 && b[j] === 0x49 ? 'INVITE' : s.slice(j, end) };
        break;
      }
      case 5: headers.contact = [nameAddr(s, b, i, end)]; break;
      case 6: headers['max-forwards'] = s.slice(i, end); break;
      case 7: {
        let length = 0;
        for (let j = i; j < end; j++) length = length * 10 + b[j] - 0x30;
        headers['content-length'] = length;
        break;
      }
      default: headers[s.slice(pos, nameEnd).toLowerCase()] = s.slice(i, end);
    }
    pos = eol + 2;
  }
  const length = headers['content-length'] ?? 0;
  if (length > 0) message.content = s.slice(pos + 2, pos + 2 + length);
  return message;
}

const parsers = {
  floor: () => readKeys(floorParse(bytes)),
  '@sipts/message': () => readKeys(parseMessage(bytes)),
  classic: () => readKeys(sip.parse(buf)),
};
const expected = INPUTS[input].expected;
const wrong = diffKeys(keys(floorParse(bytes)), expected);
if (wrong.length > 0) {
  console.log(`${input}: the floor parser does not read this input (${wrong.join('; ')})`);
  process.exit(0);
}
const best = bestCpuNs(parsers, { rounds: Number(roundsText) });
console.log(`| ${input} parse + keys | ${Object.values(best).map((ns) => `${ns.toFixed(0)} ns`).join(' | ')} | ${(best.classic / best.floor).toFixed(2)}× | ${(best.classic / best['@sipts/message']).toFixed(2)}× |`);
