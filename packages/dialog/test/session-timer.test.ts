import { describe, expect, it } from 'vitest';
import { type CallFailedError, type Session } from '../src/index.js';
import { expiryDelay } from '../src/session-timer.js';
import { advance, ANSWER, OFFER, pair } from './network.js';

async function connected(options: Parameters<typeof pair>[0]) {
  const p = pair(options);
  let bobP!: Promise<Session>;
  p.bob.on('invite', (call) => {
    bobP = call.accept({ body: ANSWER });
  });
  const aliceS = await p.alice.invite({ to: p.bobUri, body: OFFER });
  const bobS = await bobP;
  return { ...p, aliceS, bobS };
}

describe('session timers (RFC 4028)', () => {
  it('negotiates Session-Expires with the caller as refresher; the caller refreshes with UPDATE at half the interval', async () => {
    const { net, A, aliceS, bobS } = await connected({ alice: { sessionTimer: { expires: 120 } }, bob: { sessionTimer: { expires: 1800 } } });
    const invite = net.log.find((w) => w.label === 'INVITE')!.message;
    expect(invite.headers['session-expires']).toBe('120');
    expect(invite.headers.supported as string).toContain('timer');
    const ok = net.log.find((w) => w.label === '200')!.message;
    expect(ok.headers['session-expires']).toBe('120;refresher=uac');
    expect(ok.headers.require).toBe('timer');
    expect(aliceS.timer?.refresher).toBe('local');
    expect(bobS.timer?.refresher).toBe('remote');
    const start = net.clock.now();
    await advance(net, 130_000, 1000);
    const updates = net.times('UPDATE', A).map((t) => t - start);
    // Refreshed at 60 s and 120 s (each refresh restarts the interval).
    expect(updates.length).toBe(2);
    expect(updates[0]).toBeGreaterThanOrEqual(59_000);
    expect(updates[0]).toBeLessThanOrEqual(61_000);
    expect(aliceS.state).toBe('confirmed');
    expect(bobS.state).toBe('confirmed');
  });

  it('the refresher goes silent: the other side sends BYE at interval − min(32, interval/3)', async () => {
    const { net, B, aliceS, bobS } = await connected({ alice: { sessionTimer: { expires: 90 } }, bob: { sessionTimer: { expires: 90 } } });
    net.drop = (w) => w.label === 'UPDATE' || w.label === 'INVITE';
    const start = net.clock.now();
    await advance(net, 100_000, 1000);
    expect(expiryDelay(90)).toBe(60);
    const byes = net.times('BYE', B).map((t) => t - start);
    expect(byes).toHaveLength(1);
    expect(byes[0]).toBeGreaterThanOrEqual(59_000);
    expect(byes[0]).toBeLessThanOrEqual(61_000);
    expect((await bobS.ended).reason).toBe('bye-sent');
    expect(aliceS.state).toBe('terminated');
  });

  it('an interval below the UAS\'s Min-SE is refused with 422 and Min-SE (RFC 4028 §8.1); the UAC retries with it (§7.4)', async () => {
    const p = pair({ alice: { sessionTimer: { expires: 100, minSE: 90 } }, bob: { sessionTimer: { expires: 1800, minSE: 600 } } });
    p.bob.on('invite', (call) => void call.accept({ body: ANSWER }));
    const session = await p.alice.invite({ to: p.bobUri, body: OFFER });
    const invites = p.net.log.filter((w) => w.label === 'INVITE').map((w) => w.message);
    expect(p.net.labels(p.B)).toEqual(['422', '200']);
    expect(invites[0]!.headers['session-expires']).toBe('100');
    expect(invites[1]!.headers['session-expires']).toBe('600');
    expect(invites[1]!.headers.cseq!.seq).toBe(invites[0]!.headers.cseq!.seq + 1);
    expect(invites[1]!.headers['call-id']).toBe(invites[0]!.headers['call-id']);
    expect(session.timer?.seconds).toBe(600);
  });

  it('a second 422 is not retried: the call fails with it', async () => {
    const p = pair({ alice: { sessionTimer: { expires: 100, minSE: 90 } } });
    p.bob.on('invite', (call) => void call.reject(422, { headers: { 'min-se': '7200' } }));
    const err = await p.alice.invite({ to: p.bobUri, body: OFFER }).catch((e: unknown) => e);
    expect((err as CallFailedError).status).toBe(422);
    expect(p.net.labels(p.A).filter((l) => l === 'INVITE')).toHaveLength(2);
  });
});

describe('hostile session-timer values', () => {
  it('a Session-Expires beyond a day is clamped to a day (a huge value must not reach the clock)', async () => {
    const p = pair({ alice: { sessionTimer: { expires: 1800 } } });
    p.bob.on('invite', (call) => void call.accept({ body: ANSWER, headers: { 'session-expires': '4000000000;refresher=uac' } }));
    const session = await p.alice.invite({ to: p.bobUri, body: OFFER });
    expect(session.timer?.seconds).toBe(86_400);
  });
});
