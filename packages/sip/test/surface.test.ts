/**
 * The module surface: every classic export, and `start` writing `send`, `stop`, … onto the module,
 * through the source (vitest) and through the built package in child processes, with `require()`
 * and with `import` (the test script builds first).
 */
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runTool } from '@sipts/test-peers';
import * as sip from '../src/index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const classic = createRequire(import.meta.url)('sip') as Record<string, unknown>;

/** Every export of the classic module (§2.1), documented or not, and the ones `start` adds. */
const CLASSIC_EXPORTS = ['parse', 'stringify', 'parseUri', 'stringifyUri', 'parseAOR', 'stringifyAuthHeader', 'makeResponse', 'copyMessage', 'makeStreamParser', 'makeTransport', 'resolve', 'generateBranch', 'makeTransactionLayer', 'create', 'start'];
const AFTER_START = ['send', 'stop', 'encodeFlowUri', 'decodeFlowUri', 'isFlowUri', 'hostname'];

async function node(args: string[]): Promise<{ code: number | null; out: Record<string, unknown>; stderr: string }> {
  const r = await runTool(process.execPath, args, { cwd: pkgDir, timeoutMs: 25_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
  let out: Record<string, unknown>;
  try {
    out = JSON.parse(line) as Record<string, unknown>;
  } catch {
    out = { unparsed: r.stdout };
  }
  return { code: r.code, out, stderr: r.stderr };
}

describe('module surface', () => {
  it('has every export of the classic module', () => {
    for (const name of CLASSIC_EXPORTS) expect(typeof (sip as Record<string, unknown>)[name], name).toBe('function');
    // The list above is the classic module's own list.
    expect(Object.keys(classic).sort()).toEqual([...CLASSIC_EXPORTS].sort());
  });

  it('start() writes send/stop/flow functions/hostname onto the module (ESM live bindings)', async () => {
    expect(() => {
      sip.send({ method: 'OPTIONS', uri: 'sip:x@127.0.0.1', headers: {} });
    }).toThrow(/start/);
    const before = sip.send;
    const inst = sip.start({ address: '127.0.0.1', port: 0, tcp: false }, () => undefined);
    for (const name of AFTER_START) expect(typeof (sip as Record<string, unknown>)[name], name).toBe('function');
    expect(sip.send).not.toBe(before);
    expect(sip.hostname()).toBe('127.0.0.1');
    await inst.ready;
    const flow = sip.encodeFlowUri({ protocol: 'UDP', address: '192.0.2.7', port: 5062, local: { address: '127.0.0.1', port: 5060 } });
    expect(sip.isFlowUri(flow)).toBe(true);
    expect(sip.decodeFlowUri(flow)).toMatchObject({ protocol: 'UDP', address: '192.0.2.7', port: 5062 });
    // A second start stops the first stack and binds the new one once its ports are free.
    const port = inst.stack.transport.listening[0]?.port ?? 0;
    const second = sip.start({ address: '127.0.0.1', port, tcp: false }, () => undefined);
    await second.ready;
    expect(second.stack.transport.listening[0]?.port).toBe(port);
    await inst.destroy(); // already stopped by the second start: resolves at once
    await sip.stop();
  });

  const scenario = (load: string): string => `
${load}
const out = {};
out.before = typeof sip.send + ':' + typeof sip.stop + ':' + typeof sip.hostname;
out.exports = ${JSON.stringify(CLASSIC_EXPORTS)}.filter((n) => typeof sip[n] !== 'function');
out.digest = typeof digest.signRequest + typeof digest.authenticateRequest + typeof digest.challenge;
out.sdp = sdp.parse('v=0\\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\\n').m[0].fmt[0];
const b = sip.create({ address: '127.0.0.1', port: 0, udp: false }, (rq) => b.send(sip.makeResponse(rq, 200)));
b.ready.then(() => {
  const port = b.stack.transport.listening[0].port;
  const started = START;
  out.after = ${JSON.stringify(AFTER_START)}.filter((n) => typeof sip[n] !== 'function');
  started.ready.then(() => {
    const rq = { method: 'OPTIONS', uri: 'sip:b@127.0.0.1:' + port + ';transport=tcp', headers: { to: { uri: 'sip:b@x', params: {} }, from: { uri: 'sip:a@x', params: { tag: '1' } }, 'call-id': 'c' + Date.now(), cseq: { method: 'OPTIONS', seq: 1 } }, content: '' };
    sip.send(rq, (rs) => {
      out.status = rs.status;
      out.via = rq.headers.via.length;
      // Nothing else may keep the process alive: stop() closes the TCP connections too.
      Promise.all([sip.stop(), b.destroy()]).then(() => { console.log(JSON.stringify(out)); });
    });
  });
});
`;

  const viaStart = "sip.start({ address: '127.0.0.1', port: 0, udp: false }, () => {})";
  const viaProxy = "proxy.start({ address: '127.0.0.1', port: 0, udp: false }, (rq) => proxy.send(sip.makeResponse(rq, 404)))";
  const cjs = "const sip = require('@sipts/sip'); const proxy = require('@sipts/sip/proxy'); const digest = require('@sipts/sip/digest'); const sdp = require('@sipts/sip/sdp');";
  const esm = "import * as sip from '@sipts/sip'; import * as proxy from '@sipts/sip/proxy'; import * as digest from '@sipts/sip/digest'; import * as sdp from '@sipts/sip/sdp';";

  it.each([
    ['require(), sip.start', ['-e', scenario(cjs).replace('START', viaStart)]],
    ['import, sip.start', ['--input-type=module', '-e', scenario(esm).replace('START', viaStart)]],
    ['require(), proxy.start then sip.send on the same stack', ['-e', scenario(cjs).replace('START', viaProxy)]],
    ['import, proxy.start then sip.send on the same stack', ['--input-type=module', '-e', scenario(esm).replace('START', viaProxy)]],
  ])('%s: the built package works and the process exits after stop()', async (_name, args) => {
    const r = await node(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // killed by the timeout (null) if a socket stayed open
    expect(r.out).toEqual({ before: 'function:function:function', exports: [], digest: 'functionfunctionfunction', sdp: 'webrtc-datachannel', after: [], status: 200, via: 1 });
  });

  it('publint and arethetypeswrong accept the published shape', async () => {
    const lint = await runTool(process.execPath, [fileURLToPath(new URL('../node_modules/publint/src/cli.js', import.meta.url)), '--strict'], { cwd: pkgDir, timeoutMs: 60_000 });
    expect(lint.stdout + lint.stderr).not.toMatch(/error|warning/i);
    expect(lint.code).toBe(0);
    const attw = await runTool(process.execPath, [fileURLToPath(new URL('../node_modules/@arethetypeswrong/cli/dist/index.js', import.meta.url)), '--pack', '.', '--profile', 'node16', '--format', 'json'], {
      cwd: pkgDir,
      timeoutMs: 120_000,
    });
    const report = JSON.parse(attw.stdout) as { analysis: { problems: { resolutionKind?: string }[] } };
    // node10 (TypeScript's `moduleResolution: node`) predates `exports` and cannot see subpaths;
    // the package needs Node >= 20.19, whose resolution is node16.
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  }, 180_000);
});
