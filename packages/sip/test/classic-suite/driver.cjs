/*
 * Runs ONE test of the classic package's suite (test/<module>.{coffee,js} of the sip@0.0.6 tarball)
 * in this process and prints one JSON line, prefixed with RESULT:, saying how it ended.
 *
 *   node driver.cjs <suite dir> <module> <index> <strict|soft> <timeout ms>
 *   node driver.cjs <suite dir> <script> script <strict|soft> <timeout ms>
 *
 * The second form runs one of the tarball's standalone scripts (test/2_*.js), which were written
 * for Node 0.x: `util.print` is given back to them, and they pass when they print PASSED.
 *
 * <suite dir> holds the tarball's test/ folder, unmodified, next to the shims sip.js, digest.js and
 * index.js that re-export the implementation under test (the tests require '../sip', '../digest'
 * and '../'). `strict`: the real `assert`, so the first failed assertion ends the test, as the
 * classic runner does. `soft`: every assertion of `assert` is recorded instead of thrown, so one
 * run lists every failing assertion of a test (the comparison of the torture tests).
 * `console.assert`, which never throws, is recorded in both modes. The coffee-script compiler is
 * resolved from this package (SIPTS_COFFEE_SCRIPT, its absolute path).
 */
'use strict';
const Module = require('node:module');
const path = require('node:path');
const realAssert = require('node:assert');

const [dir, name, indexText, mode, timeoutText] = process.argv.slice(2);
const failures = [];
let finished = false;

function print(result) {
  // NaN and undefined are kept visible (JSON would turn them into null / drop them).
  const text = JSON.stringify(result, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? '<NaN>' : v === undefined ? '<undefined>' : v));
  // ASCII only (\uXXXX escapes), so the reader's decoding of stdout cannot change a character.
  process.stdout.write(`\nRESULT:${text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
}

function end(result, code) {
  if (finished) return;
  finished = true;
  print({ failures, ...result });
  process.exit(code);
}

// ---- soft assertions -----------------------------------------------------------------------------
function record(kind, fn) {
  return (...args) => {
    try {
      fn(...args);
    } catch (e) {
      if (!(e instanceof realAssert.AssertionError)) throw e;
      failures.push({ kind, after: lastLog, actual: e.actual, expected: e.expected, message: String(e.message).slice(0, 400) });
    }
  };
}
if (mode === 'soft') {
  const soft = record('ok', realAssert.ok);
  for (const k of ['ok', 'equal', 'deepEqual', 'strictEqual', 'deepStrictEqual', 'notEqual']) soft[k] = record(k, realAssert[k]);
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (request === 'assert' || request === 'node:assert') return soft;
    return load.call(this, request, ...rest);
  };
}
// The last line the test logged (the torture test logs "# processing '<name>'" per message).
let lastLog = '';
const consoleLog = console.log;
console.log = (...args) => {
  lastLog = args.map(String).join(' ');
  consoleLog(...args);
};
const consoleAssert = console.assert;
console.assert = (condition, ...message) => {
  if (!condition) failures.push({ kind: 'console.assert', message: message.join(' ') });
  consoleAssert(condition, ...message);
};

process.on('uncaughtException', (e) => {
  failures.push({ kind: 'threw', after: lastLog, message: String(e && e.stack ? e.stack : e).slice(0, 2000), actual: e && e.actual, expected: e && e.expected });
  end({ passed: false, completed: false }, 1);
});
setTimeout(() => {
  failures.push({ kind: 'timeout', message: `no result within ${timeoutText} ms` });
  end({ passed: false, completed: false }, 2);
}, Number(timeoutText)).unref();
process.on('exit', () => {
  if (finished) return;
  finished = true;
  failures.push({ kind: 'no-success', message: 'the test ended without calling success' });
  print({ failures, passed: false, completed: false });
});

if (indexText === 'script') {
  // util.print went away in Node 12; the scripts report success with util.print('PASSED\n').
  require('node:util').print = (...parts) => {
    const text = parts.join('');
    process.stdout.write(text);
    if (text.includes('PASSED')) setImmediate(() => end({ passed: failures.length === 0, completed: true }, 0));
  };
  require(path.join(dir, 'test', name));
  return;
}
require(process.env.SIPTS_COFFEE_SCRIPT).register();
const tests = require(path.join(dir, 'test', name)).tests;
const test = tests[Number(indexText)];
if (typeof test !== 'function') end({ passed: false, completed: false, count: tests.length, error: 'no such test' }, 3);
test(() => {
  end({ passed: failures.length === 0, completed: true }, 0);
});
// A test that failed a console.assert synchronously and never called success is over.
if (!finished && failures.length > 0) setImmediate(() => end({ passed: false, completed: false }, 1));
