/**
 * Real peers on loopback, over UDP:
 * - Debian's sipp (package sip-tester) as a UAC with `-au/-ap` and the [authentication] scenario in
 *   fixtures/sipp registers with a registrar built on createStack and createDigestServer (MD5):
 *   200 with the right password, 401 with a wrong one.
 * - Our client (createStack and createDigestClient) registers with Debian's kamailio (package
 *   kamailio, its auth module with the password in the config script), MD5 and SHA-256, and checks
 *   kamailio's rspauth.
 * Every child process has a timeout and is killed after its test.
 * @see RFC 3261 §22, RFC 7616, RFC 8760
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SipRequest, SipResponse } from '@sipts/message';
import { createStack, type Stack } from '@sipts/transaction/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDigestClient } from '../src/index.js';
import { freePort, readSippCallCounts, runTool, type RunResult } from '@sipts/test-peers';
import { startKamailio, type Kamailio } from './kamailio.js';
import { startRegistrar, type Registrar } from './registrar.js';

const SIPP = '/usr/bin/sipp';
const FIXTURES = fileURLToPath(new URL('./fixtures/sipp/', import.meta.url));
/** sipp runs still going: killed after each test. */
const children = new Set<ChildProcess>();

/** For a failed assertion: the end of a tool's output. */
function tail(r: RunResult): string {
  return `exit ${String(r.code)} ${String(r.signal)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`;
}

describe('sipp (UAC, [authentication]) → registrar on createStack + createDigestServer (MD5)', () => {
  let work = '';
  let registrar: Registrar | undefined;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'sipts-digest-sipp-'));
  });

  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    await registrar?.stop();
    registrar = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs the REGISTER scenario `calls` times as `user` with `password`. */
  async function register(port: number, user: string, password: string, calls: number) {
    const stat = join(work, 'stat.csv');
    const local = await freePort();
    const r = await runTool(
      SIPP,
      [
        `127.0.0.1:${String(port)}`,
        '-sf', join(FIXTURES, 'register-auth.xml'),
        '-t', 'u1',
        '-i', '127.0.0.1',
        '-p', String(local),
        '-s', user,
        '-au', user,
        '-ap', password,
        '-m', String(calls),
        '-r', '10',
        '-l', '5',
        '-timeout', '15s',
        '-timeout_error',
        '-max_recv_loops', '100',
        '-nostdin',
        '-trace_stat', '-stf', stat,
      ],
      // sipp ends by itself (-timeout 15s); the kill is only a bound on a tool that hangs.
      { cwd: work, timeoutMs: 30_000, children },
    );
    return { ...r, ...readSippCallCounts(stat) };
  }

  it('registers with the right password: 401, then 200 for every call', async () => {
    const reg = (registrar = await startRegistrar({ users: { alice: 'wonderland' } }));
    const out = await register(reg.port, 'alice', 'wonderland', 5);
    expect(out.code, tail(out)).toBe(0);
    expect(out.successful, tail(out)).toBe(5);
    expect(out.failed).toBe(0);
    expect(reg.outcomes.filter((o) => o.status === 200)).toHaveLength(5);
    expect(reg.outcomes.filter((o) => o.status === 401).map((o) => o.reason)).toEqual(Array(5).fill('no-credentials'));
    expect(reg.outcomes.every((o) => o.status !== 200 || o.algorithm === 'MD5')).toBe(true);
    // sipp answered the qop=auth challenge with qop, nc and cnonce (RFC 2617), not the RFC 2069 form.
    expect(reg.outcomes.find((o) => o.status === 200)?.credentials).toMatchObject({ scheme: 'Digest', username: '"alice"', nc: '00000001' });
    expect(reg.outcomes.find((o) => o.status === 200)?.credentials?.qop?.replace(/"/g, '')).toBe('auth');
  });

  it('gets a 401 for a wrong password, and sipp counts the call as failed', async () => {
    const reg = (registrar = await startRegistrar({ users: { alice: 'wonderland' } }));
    const out = await register(reg.port, 'alice', 'looking-glass', 1);
    expect(out.code, tail(out)).not.toBe(0);
    expect(out.successful, tail(out)).toBe(0);
    expect(out.failed, tail(out)).toBe(1);
    expect(reg.outcomes.map((o) => [o.status, o.reason])).toEqual([
      [401, 'no-credentials'],
      [401, 'wrong-password'],
    ]);
  });
});

/** A REGISTER for alice to kamailio, from `stack`. */
function registerRequest(stack: Stack, kamailioPort: number, seq = 1, callId?: string): SipRequest {
  const local = stack.transport.listening.find((l) => l.protocol === 'UDP')?.port ?? 0;
  const tag = Math.random().toString(36).slice(2); // a test fixture, not a security value
  return {
    method: 'REGISTER',
    uri: `sip:127.0.0.1:${String(kamailioPort)}`,
    version: '2.0',
    headers: {
      to: { uri: 'sip:alice@127.0.0.1', params: {} },
      from: { uri: 'sip:alice@127.0.0.1', params: { tag } },
      'call-id': callId ?? `kamailio-${tag}@127.0.0.1`,
      cseq: { seq, method: 'REGISTER' },
      contact: [{ uri: `sip:alice@127.0.0.1:${String(local)}`, params: {} }],
      'max-forwards': '70',
      expires: '60',
    },
    content: '',
  };
}

describe.each(['MD5', 'SHA-256'] as const)('our client (createStack + createDigestClient) → kamailio 5.6 auth module, %s', (algorithm) => {
  let dir = '';
  let kamailio: Kamailio | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipts-digest-kamailio-'));
    kamailio = await startKamailio(dir, algorithm, 'wonderland');
    stack = createStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: false, timers: { T1: 100 } });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await kamailio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a request to kamailio; the final response. */
  async function send(rq: SipRequest): Promise<SipResponse> {
    if (stack === undefined || kamailio === undefined) throw new Error('not started');
    return stack.send(rq, { target: { protocol: 'UDP', address: '127.0.0.1', port: kamailio.port } }).final;
  }

  /** The first REGISTER's 401, once kamailio has come up (it answers 408 from us until then). */
  async function challenged(rq: () => SipRequest): Promise<{ request: SipRequest; response: SipResponse }> {
    const end = Date.now() + 10_000;
    for (;;) {
      const request = rq();
      const response = await send(request);
      if (response.status === 401 || Date.now() > end) return { request, response };
    }
  }

  it('is challenged, then registers (200), verifies rspauth, and registers again on the same nonce (nc 2)', async () => {
    const client = createDigestClient({ username: 'alice', password: 'wonderland', algorithms: [algorithm] });
    const { request, response } = await challenged(() => registerRequest(stack!, kamailio!.port));
    expect(response.status, kamailio!.output().slice(-2000)).toBe(401);
    const challenge = response.headers['www-authenticate']?.[0];
    expect(challenge?.algorithm ?? 'MD5').toBe(algorithm);
    expect(challenge?.qop).toBe('"auth"');

    const retry = client.authorize(request, response);
    const ok = await send(retry);
    expect(ok.status, kamailio!.output().slice(-2000)).toBe(200);
    expect(retry.headers.authorization?.[0]).toMatchObject({ nc: '00000001', qop: 'auth' });
    expect(client.verify(ok)).toBe(true);

    const again = client.authorize(registerRequest(stack!, kamailio!.port, 3, retry.headers['call-id']));
    expect(again.headers.authorization?.[0]?.nc).toBe('00000002');
    expect((await send(again)).status).toBe(200);
    // kamailio's own log line (its stderr may trail the 200 by a moment).
    const end = Date.now() + 3000;
    while (!kamailio!.output().includes('sipts-interop: auth ok for alice') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(kamailio!.output()).toContain('sipts-interop: auth ok for alice');
  });

  it('is refused with a wrong password, and the client stops instead of looping', async () => {
    const client = createDigestClient({ username: 'alice', password: 'looking-glass', algorithms: [algorithm] });
    const { request, response } = await challenged(() => registerRequest(stack!, kamailio!.port));
    expect(response.status).toBe(401);
    const retry = client.authorize(request, response);
    const refused = await send(retry);
    expect(refused.status).toBe(401);
    expect(() => client.authorize(retry, refused)).toThrow(/rejected/);
  });
});
