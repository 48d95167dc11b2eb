/**
 * Scale-out behind a stateless SIP load balancer: Debian's kamailio with the dispatcher module
 * (kamailio-lb.ts: hash over the Call-ID, stateless `forward()`, Path on REGISTER, Record-Route,
 * OPTIONS probes) in front of two sipts-server instances (A and B, in-process) that share one
 * Redis, one `auth.secret` and the domains, with different instanceIds and ports. sipp users
 * register and call only through the balancer: REGISTERs land on both instances, calls reach the
 * registered sipp UAS whichever instance takes them (INVITE/407/INVITE/180/200/ACK/BYE, the
 * balancer on top of the callee's Via and in the Record-Route), and after A stops the balancer
 * marks it down, new REGISTERs and calls go to B, and a UDP binding registered through A (it is
 * in Redis) is reached through B. Call-IDs are fixed strings (`-cid_str`), so which instance
 * takes which call is the same in every run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killChildren, startRedis, until, type RedisServer } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadBalancer, type Forwarded, type LoadBalancer } from './kamailio-lb.js';
import { PASSWORDS, REALM, metricsText, sample, startServer, type TestServer } from './server-harness.js';
import { logged, startSipp, tail, type SippRun } from './sipp.js';

let work = '';
let redis: RedisServer | undefined;
let a: TestServer | undefined;
let b: TestServer | undefined;
let lb: LoadBalancer | undefined;
/** bob's and carol's sipp ports: their REGISTERs' Contact, then their UAS. */
let bobPort = 0;
let carolPort = 0;
/** A Call-ID the balancer hashed to A while A was up. */
let callIdOfA: string | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sipts-server-lb-'));
  redis = await startRedis();
  const store = { kind: 'redis', url: redis.url, prefix: 'sipts-lb-test:' };
  // sipp 3.6.1 computes MD5 only; one secret, so either instance accepts the other's nonces.
  const auth = { algorithms: ['MD5'], secret: 'sipts-lb-test-secret-0123456789abcdef' };
  a = await startServer(mkdtempSync(join(work, 'a-')), { overrides: { store, auth, instanceId: 'node-a', log: { level: 'info' } } });
  b = await startServer(mkdtempSync(join(work, 'b-')), { overrides: { store, auth, instanceId: 'node-b', log: { level: 'info' } } });
  lb = await startLoadBalancer(work, [a.udp, b.udp]);
  bobPort = await freePort();
  carolPort = await freePort();
}, 60_000);

afterAll(async () => {
  await lb?.stop();
  killChildren();
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

function passed(r: SippRun, calls = 1): void {
  expect(r.code, tail(r)).toBe(0);
  expect(r.successful, tail(r)).toBe(calls);
  expect(r.failed, tail(r)).toBe(0);
}

function started(): { a: TestServer; b: TestServer; lb: LoadBalancer } {
  if (a === undefined || b === undefined || lb === undefined) throw new Error('not started');
  return { a, b, lb };
}

/** Requests of `method` an instance has received (its metrics, UDP retransmissions included); 0 once it is stopped. */
async function handled(s: TestServer, method: string): Promise<number> {
  return sample(await metricsText(s.http), 'sipts_requests_total', { method });
}

/** Where the balancer's log stands now: pass it to {@link forwardedSince}. */
function mark(): number {
  return started().lb.forwarded().length;
}

/** The requests the balancer forwarded since `from` (a {@link mark}). */
function forwardedSince(from: number): Forwarded[] {
  return started().lb.forwarded().slice(from);
}

/**
 * The transactions (Call-ID and CSeq, so a retransmission counts once) of `method` among `list`,
 * by the instance the balancer sent them to: `a`, `b`, and `other` (the phones).
 */
function byInstance(list: Forwarded[], method: string, callId?: string): { a: number; b: number; other: number } {
  const { a: nodeA, b: nodeB } = started();
  const seen = new Map<string, number>();
  for (const f of list) if (f.method === method && (callId === undefined || f.callId === callId)) seen.set(`${f.callId} ${String(f.cseq)} ${String(f.to)}`, f.to);
  const to = [...seen.values()];
  return { a: to.filter((p) => p === nodeA.udp).length, b: to.filter((p) => p === nodeB.udp).length, other: to.filter((p) => p !== nodeA.udp && p !== nodeB.udp).length };
}

/** Waits until the balancer's log (since `from`) holds `count` transactions of `method` to the instances. */
async function forwardedCount(from: number, method: string, count: number, callId?: string): Promise<{ a: number; b: number }> {
  const total = (): number => {
    const n = byInstance(forwardedSince(from), method, callId);
    return n.a + n.b;
  };
  await until(() => total() >= count, 30_000, `${String(count)} ${method}s in the balancer's log\n${started().lb.child.output().slice(-3000)}`);
  const n = byInstance(forwardedSince(from), method, callId);
  return { a: n.a, b: n.b };
}

/** `user` registers through the balancer from `port`: `calls` REGISTERs, Call-IDs from `cid` (sipp `-cid_str`). */
async function register(user: string, port: number, cid: string, calls = 1): Promise<SippRun> {
  const s = await startSipp(work, {
    scenario: 'register.xml',
    remote: `127.0.0.1:${String(started().lb.port)}`,
    port,
    calls,
    service: user,
    auth: { user, password: PASSWORDS[user] ?? '', uri: REALM },
    keys: { domain: REALM, expires: '300' },
    extra: ['-cid_str', cid],
  });
  return s.done;
}

/** alice calls `callee` (a sipp UAS on `port`) through the balancer with Call-ID `cid`. */
async function call(callee: string, port: number, cid: string): Promise<{ caller: SippRun; callee: SippRun }> {
  const uas = await startSipp(work, { scenario: 'call-uas.xml', port, service: callee });
  const uac = await startSipp(work, {
    scenario: 'call-uac.xml',
    remote: `127.0.0.1:${String(started().lb.port)}`,
    service: callee,
    auth: { user: 'alice', password: PASSWORDS.alice ?? '', uri: `${callee}@${REALM}` },
    keys: { caller: 'alice', domain: REALM },
    extra: ['-cid_str', cid],
  });
  const caller = await uac.done;
  return { caller, callee: await uas.done };
}

/**
 * The callee saw the balancer on top of the INVITE (the Path the balancer added to the binding)
 * and of the Record-Route, and the ACK and BYE came through it (sipp logs the first header only).
 */
function throughBalancer(r: { caller: SippRun; callee: SippRun }, balancer: number): void {
  const lbAddr = `127.0.0.1:${String(balancer)}`;
  expect(logged(r.callee, 'UAS-INVITE via')[0], tail(r.callee)).toContain(lbAddr);
  expect(logged(r.callee, 'UAS-INVITE rr')[0], tail(r.callee)).toContain(lbAddr);
  expect(logged(r.callee, 'UAS-ACK via')[0], tail(r.callee)).toContain(lbAddr);
  expect(logged(r.callee, 'UAS-BYE via')[0], tail(r.callee)).toContain(lbAddr);
  expect(logged(r.caller, 'UAC-200 record-route')[0], tail(r.caller)).toContain(lbAddr);
}

describe('two instances behind a stateless kamailio dispatcher, sharing Redis', () => {
  // Counts come from the balancer's log, once per transaction: sipp retransmits over UDP when an
  // answer is slow (a loaded machine), and the instances' sipts_requests_total counts every copy.
  it('REGISTERs through the balancer land on both instances, each pair of 401 and REGISTER on one of them', async () => {
    const { a: nodeA, b: nodeB } = started();
    const from = mark();
    passed(await register('bob', bobPort, 'lb-reg-bob-%u@sipts.test', 10), 10);
    const { a: onA, b: onB } = await forwardedCount(from, 'REGISTER', 20);
    expect(onA + onB).toBe(20);
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    // Same Call-ID, same instance: both REGISTERs of each call went to one side.
    const registers = forwardedSince(from).filter((f) => f.method === 'REGISTER');
    for (const callId of new Set(registers.map((f) => f.callId))) {
      expect(new Set(registers.filter((f) => f.callId === callId).map((f) => f.to)), callId).toHaveLength(1);
    }
    // And the instances received them (at least once each).
    expect(await handled(nodeA, 'REGISTER')).toBeGreaterThanOrEqual(onA);
    expect(await handled(nodeB, 'REGISTER')).toBeGreaterThanOrEqual(onB);
    expect(sample(await metricsText(nodeA.http), 'sipts_registrations')).toBe(1);
    expect(sample(await metricsText(nodeB.http), 'sipts_registrations')).toBe(1);

    // carol registers until one of her REGISTERs lands on A: her binding was written by A.
    let throughA = false;
    for (let i = 0; i < 12 && !throughA; i++) {
      const before = mark();
      const cid = `lb-reg-carol-${String(i)}@sipts.test`;
      passed(await register('carol', carolPort, cid));
      throughA = (await forwardedCount(before, 'REGISTER', 2, cid)).a === 2;
    }
    expect(throughA).toBe(true);
  }, 60_000);

  it('calls through the balancer reach the registered sipp UAS whichever instance takes them', async () => {
    const { a: nodeA, b: nodeB, lb: balancer } = started();
    const seen = { a: 0, b: 0 };
    for (let i = 0; i < 8 && (seen.a === 0 || seen.b === 0 || i < 2); i++) {
      const cid = `lb-call-${String(i)}@sipts.test`;
      const from = mark();
      const [beforeA, beforeB] = [await handled(nodeA, 'INVITE'), await handled(nodeB, 'INVITE')];
      const r = await call('bob', bobPort, cid);
      passed(r.caller);
      passed(r.callee);
      // Both INVITEs (the 407'd one and the authenticated one) on one instance.
      const invites = await forwardedCount(from, 'INVITE', 2, cid);
      expect([invites.a, invites.b].sort(), `${String(invites.a)} on A, ${String(invites.b)} on B`).toEqual([0, 2]);
      const onA = invites.a === 2;
      // That instance received them.
      expect(onA ? (await handled(nodeA, 'INVITE')) - beforeA : (await handled(nodeB, 'INVITE')) - beforeB).toBeGreaterThanOrEqual(2);
      // The BYE followed the route set (balancer, that instance, balancer): it went to that instance.
      const byes = await forwardedCount(from, 'BYE', 1, cid);
      expect(onA ? [byes.a, byes.b] : [byes.b, byes.a]).toEqual([1, 0]);
      throughBalancer(r, balancer.port);
      if (onA) {
        seen.a++;
        callIdOfA ??= cid;
      } else seen.b++;
    }
    expect(seen.a, 'calls through A').toBeGreaterThan(0);
    expect(seen.b, 'calls through B').toBeGreaterThan(0);
  }, 90_000);

  it('with A stopped, the balancer fails over to B: new REGISTERs and calls succeed, and a binding registered through A is reached', async () => {
    const { a: nodeA, b: nodeB, lb: balancer } = started();
    expect(callIdOfA, 'a call went through A').toBeDefined();
    // Until now A was up: a probe it missed under load must not have taken it out (that would
    // make the counts above pass for the wrong reason).
    expect(balancer.child.output(), 'no instance marked down before A stopped').not.toContain('sipts-lb: dst-down');
    await nodeA.stop();
    // A bound, not a window: three missed probes (4 s each, one sent a second).
    await balancer.waitDown(`sip:127.0.0.1:${String(nodeA.udp)}`, 60_000);

    // carol's UDP binding, written by A, is in Redis: B routes a call to it, on a Call-ID that hashed to A.
    const cid = callIdOfA ?? '';
    let from = mark();
    const before = await handled(nodeB, 'INVITE');
    const toCarol = await call('carol', carolPort, cid);
    passed(toCarol.caller);
    passed(toCarol.callee);
    expect(await forwardedCount(from, 'INVITE', 2, cid)).toEqual({ a: 0, b: 2 });
    expect((await handled(nodeB, 'INVITE')) - before).toBeGreaterThanOrEqual(2);
    throughBalancer(toCarol, balancer.port);

    from = mark();
    passed(await register('bob', bobPort, 'lb-reg-bob-after-%u@sipts.test', 6), 6);
    expect(await forwardedCount(from, 'REGISTER', 12)).toEqual({ a: 0, b: 12 });

    const toBob = await call('bob', bobPort, 'lb-call-after@sipts.test');
    passed(toBob.caller);
    passed(toBob.callee);
    throughBalancer(toBob, balancer.port);
  }, 120_000);
});
