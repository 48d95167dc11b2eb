/**
 * Real peers: Debian's sipp as UAC against a UAS built on createNodeUserAgent, and as UAS behind a
 * UAC built on it, on 127.0.0.1 over UDP and TCP: INVITE/180/200/ACK/BYE (sipp's built-in `uac`
 * and `uas`), the full scenario both ways (fixtures/sipp/full-uac.xml and full-uas.xml: 100rel/PRACK,
 * UPDATE, re-INVITE, BYE),
 * BYE from our side (bye-from-uas-uac.xml), and a run with `-lost 10`. Every run must end with zero
 * failed calls and, once the timers have run (T1 50 ms), no dialog and no transaction left.
 * @see RFC 3261 §13–§15, RFC 3262, RFC 3311
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, readOr, readSippCallCounts, runTool, sippArgs, until, type RunResult } from '@sipts/test-peers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InviteOptions, Session } from '../src/index.js';
import { createNodeUserAgent, type NodeUserAgent } from '../src/node/index.js';
import { stringifyUri, isSipUri, parseUri } from '@sipts/message';

const SIPP = '/usr/bin/sipp';
const FIXTURES = fileURLToPath(new URL('./fixtures/sipp/', import.meta.url));
const TIMERS = { T1: 50, T2: 400, T4: 500 };
const RUN_MS = 25_000;
const CALLS = 10;
const ANSWER = 'v=0\r\no=sipts 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n';

type Proto = 'UDP' | 'TCP';
const children = new Set<ChildProcess>();
let work = '';
let agents: NodeUserAgent[] = [];

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sipts-dialog-interop-'));
});

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const a of agents) await a.stop();
  agents = [];
  rmSync(work, { recursive: true, force: true });
});

/** Our UAS: 183 reliable when offered 100rel, else 180; 200 with SDP; hangs up itself for `sip:hangup@`. */
async function startUas(protocol: Proto): Promise<{ node: NodeUserAgent; port: number; counts: { answered: number; byes: number } }> {
  const port = await freePort();
  const node = createNodeUserAgent({ address: '127.0.0.1', udp: protocol === 'UDP' ? { port } : false, tcp: protocol === 'TCP' ? { port } : false, timers: TIMERS });
  agents.push(node);
  const counts = { answered: 0, byes: 0 };
  node.ua.on('invite', (call) => {
    void (async () => {
      await call.progress(call.reliableSupported ? 183 : 180, { reliable: true, ...(call.reliableSupported ? { body: ANSWER } : {}) });
      const session = await call.accept(call.reliableSupported ? {} : { body: ANSWER });
      counts.answered++;
      // A BYE in the same TCP read as the ACK is handled before this continuation runs, so its
      // 'bye' event can come before a listener added here; the ended promise cannot be missed.
      void session.ended.then((end) => {
        if (end.reason === 'bye-received') counts.byes++;
      });
      const uri = parseUri(call.request.uri);
      if (isSipUri(uri) && uri.user === 'hangup') setTimeout(() => void session.bye().catch(() => undefined), 100);
    })().catch(() => undefined);
  });
  await node.start();
  return { node, port, counts };
}

async function sipp(remote: string | undefined, protocol: Proto, scenario: string[], extra: string[] = []): Promise<RunResult & { successful: number; failed: number }> {
  const statFile = join(work, `stat-${String(Date.now())}.csv`);
  const args = sippArgs({ remote, transport: protocol === 'UDP' ? 'u1' : 't1', localPort: await freePort(), calls: CALLS, rate: 20, limit: 10, timeoutMs: RUN_MS, statFile });
  const errorFile = join(work, `errors-${String(Date.now())}.log`);
  const r = await runTool(SIPP, [...args, '-trace_err', '-error_file', errorFile, ...scenario, ...extra], { cwd: work, timeoutMs: RUN_MS, children });
  return { ...r, stderr: `${r.stderr}\n${readOr(errorFile).slice(0, 3000)}`, ...readSippCallCounts(statFile) };
}

const tail = (r: RunResult & { successful: number; failed: number }): string => `exit ${String(r.code)}; ok ${String(r.successful)} failed ${String(r.failed)}\n${r.stdout.slice(-1200)}\n${r.stderr.slice(-3500)}`;

async function drained(node: NodeUserAgent): Promise<void> {
  await until(() => node.ua.dialogs === 0 && node.ua.layer.size === 0, 64 * TIMERS.T1 + 3000, 'the dialogs and transactions to drain');
  expect(node.ua.dialogs).toBe(0);
  expect(node.ua.layer.size).toBe(0);
}

describe.each(['UDP', 'TCP'] as const)('sipp UAC → @sipts/dialog UAS over %s', (protocol) => {
  it('INVITE, 180, 200, ACK, BYE (built-in -sn uac)', async () => {
    const { node, port, counts } = await startUas(protocol);
    const out = await sipp(`127.0.0.1:${String(port)}`, protocol, ['-sn', 'uac']);
    expect(out.successful, tail(out)).toBe(CALLS);
    expect(out.failed).toBe(0);
    // The ended promises settle a microtask after the 200 to the BYE left: wait for them.
    await until(() => counts.byes === CALLS, 5000, 'every BYE reported');
    expect(counts).toEqual({ answered: CALLS, byes: CALLS });
    await drained(node);
  });

  it('100rel/PRACK, UPDATE, re-INVITE, BYE (fixtures/sipp/full-uac.xml)', async () => {
    const { node, port, counts } = await startUas(protocol);
    const out = await sipp(`127.0.0.1:${String(port)}`, protocol, ['-sf', join(FIXTURES, 'full-uac.xml'), '-T2', '400']);
    expect(out.successful, tail(out)).toBe(CALLS);
    expect(out.failed).toBe(0);
    await until(() => counts.byes === CALLS, 5000, 'every BYE reported');
    expect(counts.byes).toBe(CALLS);
    await drained(node);
  });

  it('BYE from our UAS (fixtures/sipp/bye-from-uas-uac.xml)', async () => {
    const { node, port } = await startUas(protocol);
    const out = await sipp(`127.0.0.1:${String(port)}`, protocol, ['-sf', join(FIXTURES, 'bye-from-uas-uac.xml'), '-s', 'hangup']);
    expect(out.successful, tail(out)).toBe(CALLS);
    expect(out.failed).toBe(0);
    await drained(node);
  });
});

describe('sipp UAC with -lost 10 over UDP', () => {
  it('INVITE/180/200/ACK/BYE (fixtures/sipp/call-uac.xml): every call completes, both sides retransmit what was lost', async () => {
    const { node, port } = await startUas('UDP');
    const out = await sipp(`127.0.0.1:${String(port)}`, 'UDP', ['-sf', join(FIXTURES, 'call-uac.xml'), '-T2', '400', '-lost', '10']);
    expect(out.successful, tail(out)).toBe(CALLS);
    expect(out.failed).toBe(0);
    await drained(node);
  });

  // The scenario waits for the PRACK's 200 on both orders of arrival (it and the INVITE's 200);
  // see the comment in full-uac.xml for the one message -lost may not drop.
  it('100rel/PRACK, UPDATE, re-INVITE, BYE (fixtures/sipp/full-uac.xml) with -lost 10', async () => {
    const { node, port } = await startUas('UDP');
    const out = await sipp(`127.0.0.1:${String(port)}`, 'UDP', ['-sf', join(FIXTURES, 'full-uac.xml'), '-T2', '400', '-lost', '10']);
    expect(out.successful, tail(out)).toBe(CALLS);
    expect(out.failed).toBe(0);
    await drained(node);
  });
});

describe.each(['UDP', 'TCP'] as const)('@sipts/dialog UAC → sipp UAS over %s', (protocol) => {
  it('INVITE, 180, 200, ACK, then our BYE (built-in -sn uas)', async () => {
    await callsToSippUas(protocol, ['-sn', 'uas'], async (session) => {
      expect((await session.bye()).status).toBe(200);
    }, { reliable: false });
  });

  it('a reliable 183 with the answer, PRACK, then our UPDATE, re-INVITE and BYE (fixtures/sipp/full-uas.xml)', async () => {
    await callsToSippUas(protocol, ['-sf', join(FIXTURES, 'full-uas.xml')], async (session) => {
      expect((await session.update({ body: ANSWER.replace('o=sipts 1 1', 'o=sipts 1 2') })).status).toBe(200);
      expect((await session.reinvite({ body: ANSWER.replace('o=sipts 1 1', 'o=sipts 1 3') })).status).toBe(200);
      expect((await session.bye()).status).toBe(200);
    });
  });
});

// No -lost run with sipp as the UAS: sipp 3.6.1 records a request it drops as received, then
// takes the UAC's retransmission of it for a retransmission and only resends its own last message
// (tried: the INVITE's Timer B ran out, 408). Loss is exercised the other way, sipp UAC → our UAS.

/**
 * CALLS calls from our UAC to sipp running `scenario` as UAS, one after the other: each INVITE
 * (with an offer and, by default, Supported: 100rel), then `during` on the session.
 */
async function callsToSippUas(protocol: Proto, scenario: string[], during: (session: Session) => Promise<void>, invite: Pick<InviteOptions, 'reliable'> = {}): Promise<void> {
  const sippPort = await freePort();
  const uasRun = (async () => {
    const statFile = join(work, 'uas.csv');
    const errorFile = join(work, 'uas-errors.log');
    const args = sippArgs({ transport: protocol === 'UDP' ? 'u1' : 't1', localPort: sippPort, calls: CALLS, rate: 20, limit: 10, timeoutMs: RUN_MS, statFile });
    const r = await runTool(SIPP, [...args, '-trace_err', '-error_file', errorFile, ...scenario], { cwd: work, timeoutMs: RUN_MS, children });
    return { ...r, stderr: `${r.stderr}\n${readOr(errorFile).slice(0, 3000)}`, ...readSippCallCounts(statFile) };
  })();
  const port = await freePort();
  const node = createNodeUserAgent({ address: '127.0.0.1', udp: protocol === 'UDP' ? { port } : false, tcp: protocol === 'TCP' ? { port } : false, timers: TIMERS });
  agents.push(node);
  await node.start();
  await new Promise((r) => setTimeout(r, 300)); // sipp binds its port
  const target = stringifyUri({ schema: 'sip', user: 'service', host: '127.0.0.1', port: sippPort, params: protocol === 'TCP' ? { transport: 'tcp' } : {}, headers: {} });
  for (let i = 0; i < CALLS; i++) await during(await node.ua.invite({ to: target, body: ANSWER, ...invite }));
  const out = await uasRun;
  expect(out.successful, tail(out)).toBe(CALLS);
  expect(out.failed).toBe(0);
  await drained(node);
}
