/** The failed-authentication counters (auth-guard.ts) and the challenge offer (auth-offer.ts), on a fake clock. */
import type { SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { createAuthGuard } from '../src/auth-guard.js';
import { challengeAlgorithms, commonAlgorithms } from '../src/auth-offer.js';
import { DEFAULT_CLIENTS } from '../src/config/schema.js';

function guard(overrides: Partial<Parameters<typeof createAuthGuard>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const blocks: string[] = [];
  const g = createAuthGuard({ maxFailures: 3, windowMs: 60_000, cooldownMs: 30_000, maxEntries: 100, now: () => clock.now, onBlock: (kind, key) => blocks.push(`${kind}:${key}`), ...overrides });
  return { g, clock, blocks };
}

describe('createAuthGuard', () => {
  it('blocks the source and the user on the Nth failure, for the cool-down only', () => {
    const { g, clock, blocks } = guard();
    g.failed('192.0.2.1', 'alice');
    g.failed('192.0.2.1', 'alice');
    expect(g.check('192.0.2.1', 'alice')).toBeUndefined();
    g.failed('192.0.2.1', 'alice');
    expect(blocks).toEqual(['source:192.0.2.1', 'user:alice']);
    expect(g.check('192.0.2.1', 'bob')).toBe('source');
    expect(g.check('192.0.2.9', 'alice')).toBe('user');
    clock.now += 30_001;
    expect(g.check('192.0.2.1', 'alice')).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    const { g, clock } = guard();
    g.failed('192.0.2.1', 'alice');
    g.failed('192.0.2.1', 'alice');
    clock.now += 60_001;
    g.failed('192.0.2.1', 'alice');
    expect(g.check('192.0.2.1', 'alice')).toBeUndefined();
  });

  it('lets a source that authenticated the user (within trustMs) keep it during the user cool-down', () => {
    const { g, clock } = guard();
    g.succeeded('192.0.2.5', 'alice');
    g.succeeded('192.0.2.7', 'alice');
    clock.now += 3_600_000; // an hour later: a registration refresh interval
    g.succeeded('192.0.2.5', 'alice');
    clock.now += 86_000_000; // 192.0.2.7 last authenticated more than 24 h ago
    for (let i = 0; i < 3; i++) g.failed('192.0.2.1', 'alice');
    expect(g.check('192.0.2.7', 'alice')).toBe('user');
    for (let i = 0; i < 3; i++) g.failed('192.0.2.1', 'alice');
    expect(g.check('192.0.2.5', 'alice')).toBeUndefined();
    expect(g.check('192.0.2.6', 'alice')).toBe('user');
  });

  it('keeps every table within maxEntries', () => {
    const { g } = guard({ maxEntries: 50 });
    for (let i = 0; i < 1000; i++) {
      g.failed(`10.0.${String(i >> 8)}.${String(i & 255)}`, `user${String(i)}`);
      g.succeeded(`10.1.${String(i >> 8)}.${String(i & 255)}`, `user${String(i)}`);
    }
    expect(g.sizes).toEqual({ sources: 50, users: 50, trusted: 50 });
  });

  it('is off with maxFailures 0', () => {
    const { g } = guard({ maxFailures: 0 });
    for (let i = 0; i < 10; i++) g.failed('192.0.2.1', 'alice');
    expect(g.check('192.0.2.1', 'alice')).toBeUndefined();
    expect(g.sizes.sources).toBe(0);
  });
});

const request = (userAgent?: string): SipRequest => ({ method: 'REGISTER', uri: 'sip:localhost', version: '2.0', headers: userAgent === undefined ? {} : { 'user-agent': userAgent }, content: '' });

describe('challengeAlgorithms with the default client table', () => {
  const offer = (ua: string | undefined, available: ('SHA-256' | 'MD5')[] = ['SHA-256', 'MD5']) => challengeAlgorithms({ request: request(ua), available, rules: DEFAULT_CLIENTS });
  it.each([
    ['baresip v1.0.0 (x86_64/linux)', ['MD5']],
    ['sipsak 0.9.8', ['MD5']],
    ['SIPp/Linux', ['MD5', 'SHA-256']],
    [undefined, ['MD5', 'SHA-256']],
    ['sipts-web/0.1', ['SHA-256', 'MD5']],
    ['Linphone/5.1', ['SHA-256', 'MD5']],
  ])('User-Agent %s → %j', (ua, expected) => {
    expect(offer(ua)).toEqual(expected);
  });
  it('never offers what the configuration or the user does not have', () => {
    expect(offer('baresip 1.0', ['SHA-256'])).toEqual(['SHA-256']);
    expect(offer(undefined, ['SHA-256'])).toEqual(['SHA-256']);
  });
  it('challenges unknown users with the set most users have', () => {
    expect(commonAlgorithms([['SHA-256', 'MD5'], ['MD5'], ['SHA-256', 'MD5']], ['SHA-256', 'MD5'])).toEqual(['SHA-256', 'MD5']);
    expect(commonAlgorithms([], ['MD5'])).toEqual(['MD5']);
  });
});
