/**
 * Maps a V8 CPU profile (the format `node --cpu-prof` writes) to the stages of a SIP transaction,
 * in µs of self time per transaction or per call. Used by budget.mjs.
 *
 * Our code is classified by its source file: a sample's function is located in the built dist,
 * mapped back through the dist's source map to packages/<pkg>/src/<file>.ts, and the file decides
 * the stage (FILE_STAGES; a file not listed takes its package's default). The classic package is
 * one file, sip.js, classified by the line ranges of its sections (CLASSIC_LINES). Node's own
 * functions are classified where they are specific (dgram's send path is the send syscall, the
 * crypto random fill is tag/branch randomness, the timers module is timers); any other native or
 * Node frame (Buffer, strings, events) takes the stage of the nearest caller that has one.
 * '(program)' is native time with no JavaScript on the stack: the event loop and, above all, the
 * receive syscalls (libuv reads the datagram before it calls into JavaScript).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The stages, in the order of the table. */
export const STAGES = [
  ['native', 'receive syscall + event loop (native, no JS on the stack)'],
  ['receive', 'receive callback (node:dgram)'],
  ['transport', 'our transport (receive checks, stamping, send wrapper)'],
  ['parse', 'parse'],
  ['match', 'match (transaction keys, merged-request check)'],
  ['transaction', 'transaction machines and layer'],
  ['facade', 'TU: facade (@sipts/sip; classic: its API layer)'],
  ['proxy', 'TU: proxy core (@sipts/proxy; classic: sip/proxy)'],
  ['app', 'TU: the app'],
  ['build', 'build response/request (copy, headers)'],
  ['random', 'tags/branches randomness'],
  ['serialize', 'serialize'],
  ['send', 'send syscall (node:dgram send path)'],
  ['timers', 'timers'],
  ['async', 'promises and nextTick'],
  ['gc', 'GC (main-thread pauses)'],
  ['harness', 'bench harness (IPC, profiler)'],
  ['other', 'other'],
];

const PACKAGE_STAGES = { message: 'parse', transport: 'transport', transaction: 'transaction', proxy: 'proxy', sip: 'facade', digest: 'facade', dialog: 'facade' };

/** packages/<pkg>/src/<file> → stage, where it differs from the package's default. */
const FILE_STAGES = {
  'message/serialize.ts': 'serialize',
  'message/serialize-raw.ts': 'serialize',
  'message/make-response.ts': 'build',
  'message/copy-message.ts': 'build',
  'message/add-header.ts': 'build',
  'message/reason-phrases.ts': 'build',
  'message/byte-pool.ts': 'serialize',
  'message/uri-equals.ts': 'match',
  'transport/branch.ts': 'random',
  'transaction/matching.ts': 'match',
  'transaction/merged-requests.ts': 'match',
  'transaction/answered-by-layer.ts': 'match',
  'transaction/timer-heap.ts': 'timers',
  'transaction/clock.ts': 'timers',
  'transaction/system-clock.ts': 'timers',
};

/** sip@0.0.6's sip.js, 1-based first line of each section → stage (up to the next entry). */
const CLASSIC_LINES = [
  [1, 'parse'], // debug, parseResponse … parseUri
  [237, 'serialize'], // stringify*
  [385, 'build'], // makeResponse, clone, copyMessage
  [437, 'transport'], // defaultPort, stream parser
  [509, 'parse'], // parseMessage, checkMessage
  [540, 'transport'], // stream, TLS, TCP, WS, UDP transports, makeTransport, resolver
  [961, 'random'], // generateBranch (Math.random)
  [967, 'transaction'], // state machines, client and server transactions
  [1224, 'match'], // makeTransactionId, makeTransactionLayer
  [1278, 'transaction'], // sequentialSearch
  [1322, 'facade'], // create, send, start: the API layer
];

function classicStage(line1) {
  let stage = 'other';
  for (const [from, s] of CLASSIC_LINES) if (line1 >= from) stage = s;
  return stage;
}

const maps = new Map();

/** The original source (packages/<pkg>/src/<file>) of a function at (line, column) of a built file. */
function originalSource(url, line, column) {
  if (!url.startsWith('file://')) return undefined;
  let map = maps.get(url);
  if (map === undefined) {
    const file = `${fileURLToPath(url)}.map`;
    try {
      map = existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null;
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  if (map === null) return undefined;
  const e = map.findEntry(line, column);
  return e?.originalSource;
}

/** The stage of one call frame, or undefined when it takes its caller's. */
export function ownStage(cf) {
  const fn = cf.functionName;
  const url = cf.url;
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)' || fn === '(root)') return 'native';
  if (fn === 'runMicrotasks' || fn === 'processTicksAndRejections' || fn === 'nextTick' || url.includes('node:internal/process/task_queues') || url.includes('node:internal/process/promises')) return 'async';
  if (fn.startsWith('RegExp: ^(?:(?:(?:[0-9a-fA-F]') || fn.startsWith('RegExp: ^(?:(?:25[0-5]')) return 'send'; // node's isIPv6/isIPv4 in dgram's send
  if (url === 'node:dgram' || url === 'node:internal/dgram') return fn === 'onMessage' ? 'receive' : 'send';
  if (url === 'node:internal/net' && /^isIP/.test(fn)) return 'send';
  if (url.startsWith('node:internal/crypto/random')) return 'random';
  if (url === 'node:internal/timers' || url === 'node:timers' || url.startsWith('node:internal/perf')) return 'timers';
  if (url.includes('/bench/facade/uas.mjs') || url.includes('/bench/facade/proxy.mjs')) return 'app';
  if (url.includes('/bench/facade/') || url.includes('/bench/transaction/') || url.startsWith('node:inspector') || url === 'node:child_process' || url.startsWith('node:internal/child_process')) return 'harness';
  if (/\/node_modules\/(\.pnpm\/sip@[^/]+\/node_modules\/)?sip\/proxy\.js$/.test(url)) return 'proxy';
  if (/\/node_modules\/(\.pnpm\/sip@[^/]+\/node_modules\/)?sip\/sip\.js$/.test(url)) return classicStage(cf.lineNumber + 1);
  const pkg = /\/packages\/([a-z-]+)\/(dist|src)\//.exec(url) ?? /\/node_modules\/@sipts\/([a-z-]+)\//.exec(url);
  if (pkg !== null) {
    const src = originalSource(url, cf.lineNumber, cf.columnNumber) ?? '';
    const file = /(?:^|\/)src\/(.+)$/.exec(src)?.[1];
    if (file !== undefined && /^node\//.test(file) && pkg[1] === 'transport') return 'transport';
    return (file !== undefined && FILE_STAGES[`${pkg[1]}/${file}`]) || PACKAGE_STAGES[pkg[1]] || 'other';
  }
  return undefined;
}

/**
 * Self time per stage (µs) of `profile`, with the top functions of each stage.
 * @returns {{ totalUs: number, idleUs: number, busyUs: number, stages: Record<string, { us: number, top: [string, number][] }> }}
 */
export function stageTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const stageOf = new Map();
  const resolve = (id) => {
    if (stageOf.has(id)) return stageOf.get(id);
    const own = ownStage(byId.get(id).callFrame);
    const p = parent.get(id);
    const s = own ?? (p === undefined ? 'other' : resolve(p));
    stageOf.set(id, s);
    return s;
  };
  const stages = Object.fromEntries(STAGES.map(([k]) => [k, { us: 0, fns: new Map() }]));
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of self) {
    totalUs += us;
    const s = resolve(id);
    if (s === 'idle') {
      idleUs += us;
      continue;
    }
    const cf = byId.get(id).callFrame;
    const where = cf.url === '' ? '' : ` ${cf.url.replace(/^.*\/(packages|node_modules)\//, '').replace(/^file:\/\/.*\/bench\//, 'bench/')}:${cf.lineNumber + 1}`;
    const fn = cf.functionName.length > 40 ? `${cf.functionName.slice(0, 37)}…` : cf.functionName;
    const name = `${fn || '(anonymous)'}${where}`;
    const st = stages[s] ?? stages.other;
    st.us += us;
    st.fns.set(name, (st.fns.get(name) ?? 0) + us);
  }
  const out = {};
  for (const [k, v] of Object.entries(stages)) out[k] = { us: v.us, top: [...v.fns].sort((a, b) => b[1] - a[1]).slice(0, 5) };
  return { totalUs, idleUs, busyUs: totalUs - idleUs, stages: out };
}
