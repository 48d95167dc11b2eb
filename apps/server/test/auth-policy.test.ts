/**
 * Findings 10 and 11 of issue 16, in-process with our own user agents: no user enumeration (an
 * unknown user is challenged and refused exactly like a known one with a wrong password) and
 * throttled password guessing (failures counted per source and per user, then 403 for a
 * cool-down, on the server's injected clock).
 */
import type { SipResponse } from '@sipts/message';
import { createStack } from '@sipts/transaction/node';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createUa, startServer, TestUa, type TestServer } from './helpers.js';

let srv: TestServer | undefined;
const uas: TestUa[] = [];
afterEach(async () => {
  for (const u of uas.splice(0)) await u.close();
  await srv?.stop();
  srv = undefined;
});

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  srv = await startServer(overrides);
  return srv;
}
async function ua(s: TestServer, user: string, password?: string): Promise<TestUa> {
  const u = await createUa(s, user, 'UDP', password);
  uas.push(u);
  return u;
}
/** A UDP user agent on another loopback address (another source for the server). */
async function uaFrom(s: TestServer, address: string, user: string, password: string): Promise<TestUa> {
  const stack = createStack({ address, udp: { port: 0 }, tcp: false, resolver: () => Promise.resolve([s.target('UDP')]) });
  await stack.start();
  const u = new TestUa(stack, user, 'UDP', s, password);
  uas.push(u);
  return u;
}

/** What a response shows apart from the values that change every time (nonce, tags, Call-ID). */
function shape(rs: SipResponse, header: 'www-authenticate' | 'proxy-authenticate'): unknown {
  return {
    status: rs.status,
    reason: rs.reason,
    headers: Object.keys(rs.headers).sort(),
    challenges: rs.headers[header]?.map(({ nonce: _nonce, ...rest }) => rest),
  };
}

async function metric(s: TestServer, line: string): Promise<number> {
  const text = (await s.server.metrics?.registry.metrics()) ?? '';
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('no user enumeration (issue 16, finding 10)', () => {
  it('challenges a REGISTER for an unknown user exactly like one for a known user', async () => {
    const s = await server();
    const alice = await ua(s, 'alice');
    const carol = await ua(s, 'carol'); // not a configured user
    const known = await alice.sendRaw(alice.registerRequest());
    const unknown = await carol.sendRaw(carol.registerRequest());
    expect(known.status).toBe(401);
    expect(shape(unknown, 'www-authenticate')).toEqual(shape(known, 'www-authenticate'));
  });

  it("answers an unknown user's credentials exactly like a known user's wrong password", async () => {
    const s = await server();
    const wrong = await ua(s, 'alice', 'not-her-password');
    const carol = await ua(s, 'carol', 'carol-secret');
    const a = await wrong.register();
    const b = await carol.register();
    expect(a.status).toBe(401);
    expect(shape(b, 'www-authenticate')).toEqual(shape(a, 'www-authenticate'));
    // Both count as failed authentications: the unknown user went through the same digest check.
    expect(await metric(s, 'sipts_auth_failures_total')).toBe(2);
  });

  it('challenges a request from an unknown local caller exactly like one from a known caller (407)', async () => {
    const s = await server();
    const alice = await ua(s, 'alice');
    const carol = await ua(s, 'carol');
    const known = await alice.sendRaw(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'));
    const unknown = await carol.sendRaw(carol.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'));
    expect(known.status).toBe(407);
    expect(shape(unknown, 'proxy-authenticate')).toEqual(shape(known, 'proxy-authenticate'));
  });

  it('answers a call to an unknown user like a call to a user who is not registered (480)', async () => {
    const s = await server();
    const caller = await ua(s, 'alice');
    const from = { uri: 'sip:someone@example.org', params: { tag: generateTag() } };
    const toNobody = await caller.sendRaw(caller.request('INVITE', 'sip:nobody@localhost', 'sip:nobody@localhost', { from }));
    const toBob = await caller.sendRaw(caller.request('INVITE', 'sip:bob@localhost', 'sip:bob@localhost', { from: { ...from, params: { tag: generateTag() } } }));
    expect(toBob.status).toBe(480);
    expect(toNobody.status).toBe(toBob.status);
  });
});

describe('throttled password guessing (issue 16, finding 11)', () => {
  const guessing = { auth: { guessing: { maxFailures: 3, windowSeconds: 600, cooldownSeconds: 60 } } };

  it('answers 403 to the source after N failures, even with the right password, until the cool-down ends', async () => {
    const s = await server(guessing);
    const guesser = await ua(s, 'alice', 'guess');
    for (let i = 0; i < 3; i++) expect((await guesser.register()).status).toBe(401);
    const alice = await ua(s, 'alice');
    expect((await alice.register()).status).toBe(403);
    // The source is blocked for every user, not only the one guessed at.
    const bob = await ua(s, 'bob');
    expect((await bob.register()).status).toBe(403);
    expect(await metric(s, 'sipts_auth_failures_total')).toBe(3);
    expect(await metric(s, 'sipts_auth_blocks_total{subject="source"}')).toBe(1);
    expect(await metric(s, 'sipts_auth_blocks_total{subject="user"}')).toBe(1);
    expect(await metric(s, 'sipts_auth_refused_total{subject="source"}')).toBe(2);
    s.clock.now += 61_000;
    expect((await alice.register()).status).toBe(200);
  });

  it('answers 403 for the user from other sources, but not from a source that authenticated it before', async () => {
    const s = await server(guessing);
    const phone = await uaFrom(s, '127.0.0.3', 'alice', 'alice-secret');
    expect((await phone.register()).status).toBe(200);
    const guesser = await uaFrom(s, '127.0.0.2', 'alice', 'guess');
    for (let i = 0; i < 3; i++) expect((await guesser.register()).status).toBe(401);
    const elsewhere = await ua(s, 'alice'); // 127.0.0.1: never authenticated alice
    expect((await elsewhere.register()).status).toBe(403);
    expect(await metric(s, 'sipts_auth_refused_total{subject="user"}')).toBe(1);
    expect((await phone.register()).status).toBe(200);
    // Another user from a clean source is not affected.
    const bob = await ua(s, 'bob');
    expect((await bob.register()).status).toBe(200);
  });

  it('counts guesses at requests (407) like guesses at REGISTER', async () => {
    const s = await server(guessing);
    const guesser = await ua(s, 'alice', 'guess');
    for (let i = 0; i < 3; i++) expect((await guesser.send(guesser.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'))).status).toBe(407);
    const alice = await ua(s, 'alice');
    expect((await alice.send(alice.request('MESSAGE', 'sip:bob@localhost', 'sip:bob@localhost'))).status).toBe(403);
  });
});
