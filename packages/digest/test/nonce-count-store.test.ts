/**
 * createMemoryNonceCountStore: replays, per-user bounds (one user never churns another's nonces),
 * the global bound, expiry, and nonces from before the store existed; and verifyAsync with a store
 * that answers with promises (as a shared one in Redis does).
 */
import { describe, expect, it } from 'vitest';
import { createDigestClient, createDigestServer, createMemoryNonceCountStore, type NonceCountStore, type NonceUse } from '../src/index.js';
import { fakeNow, newRequest, wireRq, wireRs } from './helpers.js';

const alice = { username: 'alice', password: 'wonderland' };

function uses(clock: { now: () => number }, username: string) {
  const t0 = clock.now();
  return (nonce: string, nc: number, issuedOffset: number, lifetime = 60_000): NonceUse => ({
    nonce,
    nc,
    issuedAt: t0 + issuedOffset,
    expiresAt: t0 + issuedOffset + lifetime,
    username,
  });
}

describe('memory nonce-count store', () => {
  it('answers replay for a count that does not go up, ok when it does', () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now });
    const a = uses(clock, 'alice');
    expect(store.advance(a('n1', 1, 1))).toBe('ok');
    expect(store.advance(a('n1', 1, 1))).toBe('replay');
    expect(store.advance(a('n1', 2, 1))).toBe('ok');
    expect(store.advance(a('n1', 2, 1))).toBe('replay');
  });

  it("one user taking many nonces forgets only their own, never another user's", () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now, maxPerUser: 2, maxEntries: 100 });
    const a = uses(clock, 'alice');
    const b = uses(clock, 'bob');
    expect(store.advance(b('bob-1', 1, 1))).toBe('ok');
    // alice churns 200 nonces, twice the whole table: one table for all users would have dropped bob's.
    for (let i = 0; i < 200; i++) expect(store.advance(a(`alice-${String(i)}`, 1, 2 + i))).toBe('ok');
    expect(store.advance(b('bob-1', 2, 1))).toBe('ok');
    // alice's early nonces are forgotten (stale), not reopened for replay.
    expect(store.advance(a('alice-0', 2, 2))).toBe('forgotten');
    expect(store.advance(a('alice-199', 1, 201))).toBe('replay');
  });

  it('with too many users, drops the least recently active and forgets nonces up to its newest', () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now, maxPerUser: 2, maxEntries: 2 });
    const a = uses(clock, 'alice');
    const b = uses(clock, 'bob');
    const c = uses(clock, 'carol');
    expect(store.advance(a('a1', 1, 1))).toBe('ok');
    expect(store.advance(b('b1', 1, 2))).toBe('ok');
    expect(store.advance(b('b1', 2, 2))).toBe('ok'); // bob is now the most recently active
    expect(store.advance(c('c1', 1, 3))).toBe('ok'); // drops alice
    expect(store.advance(a('a1', 2, 1))).toBe('forgotten');
    expect(store.advance(b('b1', 2, 2))).toBe('replay');
  });

  it('expired entries make room before anyone is forgotten', () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now, maxPerUser: 1, maxEntries: 1 });
    const a = uses(clock, 'alice');
    const b = uses(clock, 'bob');
    expect(store.advance(a('a1', 1, 1, 1000))).toBe('ok');
    clock.advance(2000);
    expect(store.advance(b('b1', 1, 1500))).toBe('ok');
    // alice's next nonce is newer than the expired one: not forgotten.
    expect(store.advance(a('a2', 1, 1600))).toBe('ok');
  });

  it('forgets nonces issued before it was created (a restarted server with a kept secret)', () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now });
    const a = uses(clock, 'alice');
    expect(store.advance(a('old', 1, -1))).toBe('forgotten');
    expect(store.advance(a('same-ms', 1, 0))).toBe('ok');
  });

  it('takes an explicit start (forgetIssuedBefore)', () => {
    const clock = fakeNow();
    const store = createMemoryNonceCountStore({ now: clock.now, forgetIssuedBefore: clock.now() - 10_000 });
    const a = uses(clock, 'alice');
    expect(store.advance(a('older', 1, -10_001))).toBe('forgotten');
    expect(store.advance(a('newer', 1, -5000))).toBe('ok');
  });
});

describe('verifyAsync', () => {
  /** An asynchronous store (as Redis is) over a memory one. */
  const asyncStore = (inner = createMemoryNonceCountStore()): NonceCountStore & { calls: number } => {
    const s = {
      calls: 0,
      advance: async (use: NonceUse) => {
        s.calls++;
        await Promise.resolve();
        return inner.advance(use);
      },
    };
    return s;
  };

  it('accepts once and answers the replay of the same nc with 401 replay', async () => {
    const clock = fakeNow();
    const store = asyncStore(createMemoryNonceCountStore({ now: clock.now }));
    const server = createDigestServer({ realm: 'example.com', now: clock.now, nonceCounts: store });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = await server.verifyAsync(wireRq(rq), alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signed = wireRq(client.authorize(rq, wireRs(server.reject(rq, first))));
    expect(await server.verifyAsync(signed, alice)).toMatchObject({ ok: true, username: 'alice' });
    expect(await server.verifyAsync(signed, alice)).toMatchObject({ ok: false, reason: 'replay' });
    expect(store.calls).toBe(2);
  });

  it('two servers sharing a secret and an async store catch a replay across them', async () => {
    const clock = fakeNow();
    const shared = asyncStore(createMemoryNonceCountStore({ now: clock.now }));
    const one = createDigestServer({ realm: 'example.com', secret: 'shared secret 1234', now: clock.now, nonceCounts: shared });
    const two = createDigestServer({ realm: 'example.com', secret: 'shared secret 1234', now: clock.now, nonceCounts: shared });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = await one.verifyAsync(wireRq(rq), alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signed = wireRq(client.authorize(rq, wireRs(one.reject(rq, first))));
    expect((await one.verifyAsync(signed, alice)).ok).toBe(true);
    expect(await two.verifyAsync(signed, alice)).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('bad input is a failure, not a rejection', async () => {
    const server = createDigestServer({ realm: 'example.com', nonceCounts: asyncStore() });
    const throwing = (): never => {
      throw new Error('lookup failed');
    };
    const rq = newRequest();
    rq.headers.authorization = [{ scheme: 'Digest', username: '"alice"', realm: '"example.com"', nonce: '"x"', uri: '"sip:example.com"', response: '"0"' }];
    await expect(server.verifyAsync(rq, throwing)).resolves.toMatchObject({ ok: false });
  });

  it('a failing store rejects verifyAsync', async () => {
    const clock = fakeNow();
    const server = createDigestServer({ realm: 'example.com', now: clock.now, nonceCounts: { advance: () => Promise.reject(new Error('store down')) } });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = server.verify(wireRq(rq), alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signed = wireRq(client.authorize(rq, wireRs(server.reject(rq, first))));
    await expect(server.verifyAsync(signed, alice)).rejects.toThrow('store down');
  });

  it('verify (synchronous) with an asynchronous store throws invalid-argument', () => {
    const clock = fakeNow();
    const server = createDigestServer({ realm: 'example.com', now: clock.now, nonceCounts: asyncStore() });
    const client = createDigestClient(alice);
    const rq = newRequest();
    const first = server.verify(wireRq(rq), alice);
    if (first.ok) throw new Error('unsigned request passed');
    const signed = wireRq(client.authorize(rq, wireRs(server.reject(rq, first))));
    expect(() => server.verify(signed, alice)).toThrow(/verifyAsync/);
  });
});
