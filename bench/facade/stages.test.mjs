/**
 * The stage map of budget.mjs (stages.mjs): a frame of each kind lands in its stage, our dist
 * frames through their source maps, Node's generic frames through their caller.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ownStage, stageTimes } from './stages.mjs';

const frame = (functionName, url = '', lineNumber = 0, columnNumber = 0) => ({ functionName, url, lineNumber, columnNumber, scriptId: '0' });
const CLASSIC = 'file:///x/bench/node_modules/.pnpm/sip@0.0.6/node_modules/sip/sip.js';

/** A fake built package: dist/index.js whose line 0 comes from src/<a> and line 1 from src/<b>. */
const root = mkdtempSync(join(os.tmpdir(), 'stages-test-'));
function fakeDist(pkg, a, b) {
  const dist = join(root, 'packages', pkg, 'dist');
  mkdirSync(dist, { recursive: true });
  const file = join(dist, 'index.js');
  writeFileSync(file, 'function a() {}\nfunction b() {}\n');
  writeFileSync(`${file}.map`, JSON.stringify({ version: 3, sources: [`../src/${a}`, `../src/${b}`], names: [], mappings: 'AAAA;ACAA' }));
  return pathToFileURL(file).href;
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ownStage', () => {
  it('classifies the classic sip.js by its sections and sip/proxy as the proxy core', () => {
    expect(ownStage(frame('parse', CLASSIC, 178))).toBe('parse');
    expect(ownStage(frame('stringify', CLASSIC, 354))).toBe('serialize');
    expect(ownStage(frame('makeResponse', CLASSIC, 384))).toBe('build');
    expect(ownStage(frame('generateBranch', CLASSIC, 960))).toBe('random');
    expect(ownStage(frame('signal', CLASSIC, 979))).toBe('transaction');
    expect(ownStage(frame('makeTransactionId', CLASSIC, 1223))).toBe('match');
    expect(ownStage(frame('send', CLASSIC, 1372))).toBe('facade');
    expect(ownStage(frame('onRequest', CLASSIC.replace('sip.js', 'proxy.js'), 72))).toBe('proxy');
  });

  it("classifies Node's specific frames and V8's pseudo-frames", () => {
    expect(ownStage(frame('doSend', 'node:dgram'))).toBe('send');
    expect(ownStage(frame('onMessage', 'node:dgram'))).toBe('receive');
    expect(ownStage(frame('RegExp: ^(?:(?:(?:[0-9a-fA-F]{1,4}):){7}'))).toBe('send');
    expect(ownStage(frame('randomFillSync', 'node:internal/crypto/random'))).toBe('random');
    expect(ownStage(frame('listOnTimeout', 'node:internal/timers'))).toBe('timers');
    expect(ownStage(frame('processTicksAndRejections', 'node:internal/process/task_queues'))).toBe('async');
    expect(ownStage(frame('(garbage collector)'))).toBe('gc');
    expect(ownStage(frame('(program)'))).toBe('native');
    expect(ownStage(frame('(idle)'))).toBe('idle');
  });

  it('leaves generic Node frames to their caller', () => {
    expect(ownStage(frame('toString', 'node:buffer'))).toBeUndefined();
    expect(ownStage(frame('emit', 'node:events'))).toBeUndefined();
  });

  it('classifies our dists by the source file their source map names, else by package', () => {
    const message = fakeDist('message', 'serialize.ts', 'parse-message.ts');
    expect(ownStage(frame('serializeMessage', message, 0, 0))).toBe('serialize');
    expect(ownStage(frame('parseHead', message, 1, 0))).toBe('parse');
    const transaction = fakeDist('transaction', 'matching.ts', 'some-new-file.ts');
    expect(ownStage(frame('serverKey', transaction, 0, 0))).toBe('match');
    expect(ownStage(frame('anything', transaction, 1, 0))).toBe('transaction');
    const transport = fakeDist('transport', 'branch.ts', 'node/udp.ts');
    expect(ownStage(frame('generateTag', transport, 0, 0))).toBe('random');
    expect(ownStage(frame('sendUdp', transport, 1, 0))).toBe('transport');
  });
});

describe('stageTimes', () => {
  it('sums self time per stage, gives a generic frame its caller’s stage and leaves idle out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
        { id: 2, callFrame: frame('(idle)'), children: [] },
        { id: 3, callFrame: frame('parse', CLASSIC, 178), children: [4] },
        { id: 4, callFrame: frame('toString', 'node:buffer'), children: [] },
        { id: 5, callFrame: frame('(garbage collector)'), children: [] },
      ],
      samples: [2, 3, 4, 4, 5],
      timeDeltas: [1000, 10, 20, 30, 40],
    };
    const t = stageTimes(profile);
    expect(t.idleUs).toBe(1000);
    expect(t.busyUs).toBe(100);
    expect(t.stages.parse.us).toBe(60);
    expect(t.stages.gc.us).toBe(40);
    expect(t.stages.other.us).toBe(0);
  });
});
