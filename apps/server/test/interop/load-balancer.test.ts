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
import { freePort, killChildren, startRedis, type RedisServer } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadBalancer, type LoadBalancer } from './kamailio-lb.js';
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

/** Requests of `method` an instance has received (its metrics); 0 once it is stopped. */
async function handled(s: TestServer, method: string): Promise<number> {
  return sample(await metricsText(s.http), 'sipts_requests_total', { method });
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
  it('REGISTERs through the balancer land on both instances, each pair of 401 and REGISTER on one of them', async () => {
    const { a: nodeA, b: nodeB } = started();
    passed(await register('bob', bobPort, 'lb-reg-bob-%u@sipts.test', 10), 10);
    const [onA, onB] = [await handled(nodeA, 'REGISTER'), await handled(nodeB, 'REGISTER')];
    expect(onA + onB).toBe(20);
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    // Same Call-ID, same instance: both REGISTERs of each call counted on one side.
    expect(onA % 2).toBe(0);
    expect(sample(await metricsText(nodeA.http), 'sipts_registrations')).toBe(1);
    expect(sample(await metricsText(nodeB.http), 'sipts_registrations')).toBe(1);

    // carol registers until one of her REGISTERs lands on A: her binding was written by A.
    let throughA = false;
    for (let i = 0; i < 12 && !throughA; i++) {
      const before = await handled(nodeA, 'REGISTER');
      passed(await register('carol', carolPort, `lb-reg-carol-${String(i)}@sipts.test`));
      throughA = (await handled(nodeA, 'REGISTER')) - before === 2;
    }
    expect(throughA).toBe(true);
  }, 60_000);

  it('calls through the balancer reach the registered sipp UAS whichever instance takes them', async () => {
    const { a: nodeA, b: nodeB, lb: balancer } = started();
    const seen = { a: 0, b: 0 };
    for (let i = 0; i < 8 && (seen.a === 0 || seen.b === 0 || i < 2); i++) {
      const cid = `lb-call-${String(i)}@sipts.test`;
      const [beforeA, beforeB] = [await handled(nodeA, 'INVITE'), await handled(nodeB, 'INVITE')];
      const byes = [await handled(nodeA, 'BYE'), await handled(nodeB, 'BYE')];
      const r = await call('bob', bobPort, cid);
      passed(r.caller);
      passed(r.callee);
      const [dA, dB] = [(await handled(nodeA, 'INVITE')) - beforeA, (await handled(nodeB, 'INVITE')) - beforeB];
      // Both INVITEs (the 407'd one and the authenticated one) on one instance.
      expect([dA, dB].sort(), `${String(dA)} on A, ${String(dB)} on B`).toEqual([0, 2]);
      // The BYE followed the route set (balancer, that instance, balancer): that instance saw it.
      const [byeA, byeB] = [(await handled(nodeA, 'BYE')) - (byes[0] ?? 0), (await handled(nodeB, 'BYE')) - (byes[1] ?? 0)];
      expect(dA === 2 ? [byeA, byeB] : [byeB, byeA]).toEqual([1, 0]);
      throughBalancer(r, balancer.port);
      if (dA === 2) {
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
    await nodeA.stop();
    await balancer.waitDown(`sip:127.0.0.1:${String(nodeA.udp)}`, 10_000);

    // carol's UDP binding, written by A, is in Redis: B routes a call to it, on a Call-ID that hashed to A.
    const before = await handled(nodeB, 'INVITE');
    const toCarol = await call('carol', carolPort, callIdOfA ?? '');
    passed(toCarol.caller);
    passed(toCarol.callee);
    expect((await handled(nodeB, 'INVITE')) - before).toBe(2);
    throughBalancer(toCarol, balancer.port);

    const regsBefore = await handled(nodeB, 'REGISTER');
    passed(await register('bob', bobPort, 'lb-reg-bob-after-%u@sipts.test', 6), 6);
    expect((await handled(nodeB, 'REGISTER')) - regsBefore).toBe(12);

    const toBob = await call('bob', bobPort, 'lb-call-after@sipts.test');
    passed(toBob.caller);
    passed(toBob.callee);
    throughBalancer(toBob, balancer.port);
  }, 60_000);
});
