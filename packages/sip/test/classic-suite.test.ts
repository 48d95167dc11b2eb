/**
 * The classic package's own test suite (the `test/` folder of the `sip@0.0.6` npm tarball, a
 * devDependency, unmodified) run with coffee-script 1.x against the built facade, test by test.
 *
 * Required to pass: digest 4/4, rport 3/3, stream_parser 3/3 and the parser's first test. The
 * parser's torture and TCP tests compare with JSON the classic package wrote of its own results:
 * there every failed assertion must be explained by one of the facade's documented differences
 * (differences.json), and each difference must name exactly the classic tests it makes fail (its
 * `classicTests`, shown in the README), so a new difference, or one that went away, fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFFERENCES } from './differences.js';
import { explainFailures, messagesByCallId, type Explanation } from './classic-suite/explain.js';
import { canIsolate, prepareSuite, type Suite, type TestOutcome } from './classic-suite/suite.js';
import { ensureFacadeBuilt } from './examples/harness/impl.js';

let suite: Suite | undefined;
const PARSER_TESTS = { 1: 'parser/torture', 2: 'parser/tcp' } as const;

beforeAll(() => {
  ensureFacadeBuilt();
  suite = prepareSuite('facade');
}, 200_000);

afterAll(() => {
  suite?.remove();
});

function theSuite(): Suite {
  if (suite === undefined) throw new Error('the suite was not prepared');
  return suite;
}

/** Runs one classic test and expects it to pass, showing its failures and output when it does not. */
async function expectPass(module: string, index: number): Promise<void> {
  const r: TestOutcome = await theSuite().run(module, index);
  expect(r.failures, r.output).toEqual([]);
  expect(r.passed, r.output).toBe(true);
}

describe('classic suite: digest (4 tests)', () => {
  it.each([
    [0, 'RFC 2617 example digest'],
    [1, 'challenge, sign, authenticate (401) and mutual auth'],
    [2, 'the same with 407'],
    [3, 'nonce timestamp'],
  ])('digest test %i: %s', async (index) => {
    await expectPass('digest', index);
  });
});

describe('classic suite: rport (3 tests)', () => {
  if (!canIsolate()) console.warn('classic suite: no network namespace here; rport binds 5060 and 6060 in the shared one');
  it.each([
    [0, 'rport requested; the response goes to the source port'],
    [1, 'rport requested; the response goes to the Via port'],
    [2, 'rport: false sends no rport'],
  ])('rport test %i: %s', async (index) => {
    await expectPass('rport', index);
  });
});

describe('classic suite: stream_parser (3 tests)', () => {
  // The test's message is RFC 4475 baddate: its `Date: … EST` is a fault in a header the stack
  // does not need, so the (default, liberal) parser delivers it and reports the fault.
  it('stream_parser test 0: 20,000 CRLF keep-alives then RFC 4475 baddate, delivered', async () => {
    await expectPass('stream_parser', 0);
  });
  it('stream_parser test 1: a header flood reaches onFlood and nothing is buffered', async () => {
    await expectPass('stream_parser', 1);
  });
  it('stream_parser test 2: a Content-Length flood reaches onFlood', async () => {
    await expectPass('stream_parser', 2);
  });
});

describe('classic suite: parser (3 tests)', () => {
  it('parser test 0: every specially parsed header, Content-Length larger than the text', async () => {
    await expectPass('parser', 0);
  });

  const runs = new Map<number, Promise<{ outcome: TestOutcome; found: Explanation[] }>>();
  /** Runs parser test `index` once (soft: every failed assertion recorded) and explains its failures. */
  function explainedRun(index: 1 | 2): Promise<{ outcome: TestOutcome; found: Explanation[] }> {
    let run = runs.get(index);
    if (run === undefined) {
      const s = theSuite();
      run = s.run('parser', index, { soft: true }).then((outcome) => ({ outcome, found: explainFailures(PARSER_TESTS[index], outcome.failures, messagesByCallId(s.dir)) }));
      runs.set(index, run);
    }
    return run;
  }

  it.each([1, 2] as const)('parser test %i (torture / tcp): every failed assertion is a documented difference', async (index) => {
    const { outcome, found } = await explainedRun(index);
    const unexplained = found.filter((e) => e.difference === undefined).map((e) => `${e.message} ${e.path}: ${e.detail}`);
    expect(unexplained, outcome.output).toEqual([]);
    // It ran to its end (torture stops at badcseq, its last message, which the facade refuses).
    expect(outcome.completed || found.some((e) => e.difference === 'strict-parse'), outcome.output).toBe(true);
    expect(found.length, 'the classic JSON records differences, so some assertions fail').toBeGreaterThan(0);
  });

  it('each difference names exactly the classic tests (and messages) it makes fail', async () => {
    const computed: Record<string, Record<string, string[]>> = {};
    for (const e of [...(await explainedRun(1)).found, ...(await explainedRun(2)).found, ...(await scriptRun('2_1_2')).found]) {
      if (e.difference === undefined) continue;
      const byTest = (computed[e.difference] ??= {});
      const list = (byTest[e.test] ??= []);
      if (!list.includes(e.message)) list.push(e.message);
    }
    for (const byTest of Object.values(computed)) for (const list of Object.values(byTest)) list.sort();
    const listed = Object.fromEntries(DIFFERENCES.filter((d) => d.classicTests !== undefined).map((d) => [d.id, d.classicTests]));
    expect(Object.keys(computed).length).toBeGreaterThan(0);
    expect(listed).toEqual(computed);
  });
});

describe('classic suite: the tarball runner', () => {
  it('`coffee test/runtests.coffee digest rport` prints ok for each of the 7 tests and exits 0', async () => {
    const r = await theSuite().runRunner(['digest', 'rport']);
    expect(r.output.split('\n').filter((l) => l === 'ok'), r.output).toHaveLength(7);
    expect(r.code, r.output).toBe(0);
  });
});

/**
 * The standalone 2_*.js scripts (the 2010 transport API: makeTransport, open, get). They need
 * `../udp.js`, which the suite gets as a shim, and `util.print`, which the driver gives back. How
 * each ends on the classic package (measured once: `SIPTS_CLASSIC_SCRIPTS=1` checks it again) and
 * on the facade. A script that passes on the classic package must pass on the facade, or fail only
 * by documented differences; the others are pinned so that a change shows.
 */
const SCRIPTS: Record<string, { classic: 'passes' | 'fails'; facade: 'passes' | 'fails' | 'differences'; why: string }> = {
  '2_1_1': { classic: 'fails', facade: 'fails', why: 'sends on a UDP socket before its connect() completed (ERR_SOCKET_BAD_PORT)' },
  '2_1_2': { classic: 'passes', facade: 'differences', why: 'compares the message it sent with what arrived' },
  '2_1_3': { classic: 'fails', facade: 'fails', why: 'waits for ECONNREFUSED from a UDP send, which never comes' },
  '2_2_1': { classic: 'fails', facade: 'fails', why: 'expects the received message deep-equal to the sent one, without the received parameter' },
  '2_2_2': { classic: 'passes', facade: 'passes', why: 'a request sent over TCP to a stream parser' },
  '2_2_3': { classic: 'fails', facade: 'fails', why: 'expects the response deep-equal to the one built, without the Via parameters the transport adds' },
  '2_2_4': { classic: 'fails', facade: 'passes', why: 'expects errno === process.ECONNREFUSED, which is undefined on Node ≥ 1 (the facade passes by that accident)' },
  '2_2_5': { classic: 'fails', facade: 'fails', why: 'waits for the server to close a connection it keeps' },
  '2_2_6': { classic: 'fails', facade: 'fails', why: 'waits for the server to close a connection it keeps' },
  '2_2_6_1': { classic: 'fails', facade: 'passes', why: "waits for the server to close the connection: its message's URIs are not SIP URIs, so it is no valid message, and the transport closes a connection that sent none within 10 s (firstMessageTimeoutMs)" },
};
const scriptRuns = new Map<string, Promise<{ outcome: TestOutcome; found: Explanation[] }>>();
/** Runs script `name` on the facade once (soft), and explains its failed assertions. */
function scriptRun(name: string): Promise<{ outcome: TestOutcome; found: Explanation[] }> {
  let run = scriptRuns.get(name);
  if (run === undefined) {
    run = theSuite()
      .runScript(name, { soft: true, timeoutMs: 15_000 })
      .then((outcome) => ({ outcome, found: explainFailures('scripts', outcome.failures, new Map(), `${name}.js`) }));
    scriptRuns.set(name, run);
  }
  return run;
}

// In network namespaces of their own the scripts' fixed ports cannot meet: run them side by side.
const scriptsDescribe = canIsolate() ? describe.concurrent : describe;
scriptsDescribe('classic suite: the 2_*.js scripts', () => {
  it.each(Object.entries(SCRIPTS))('%s.js on the facade', async (name, expected) => {
    const { outcome, found } = await scriptRun(name);
    if (expected.facade === 'passes') expect(outcome.passed, outcome.output).toBe(true);
    if (expected.facade === 'fails') expect(outcome.passed, outcome.output).toBe(false);
    if (expected.facade === 'differences') {
      expect(outcome.completed, outcome.output).toBe(true);
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((e) => e.difference === undefined).map((e) => `${e.path}: ${e.detail}`)).toEqual([]);
    }
  });

  it.runIf(process.env.SIPTS_CLASSIC_SCRIPTS === '1')('the classic outcomes of the table still hold', async () => {
    const classic = prepareSuite('classic');
    try {
      for (const [name, expected] of Object.entries(SCRIPTS)) {
        const r = await classic.runScript(name, { timeoutMs: 8000 });
        expect(r.passed ? 'passes' : 'fails', `${name}: ${r.output}`).toBe(expected.classic);
      }
    } finally {
      classic.remove();
    }
  }, 120_000);
});

describe('classic suite: the scripts that do not run unattended', () => {
  it.todo('digest-client.coffee: registers with a server at 172.16.1.10 (not loopback) and never ends; nothing to run it against');
  it.todo('digest-server.coffee: needs the `rbytes` native module (not installable on Node 20) and a client to call it; it never ends by itself');
});
