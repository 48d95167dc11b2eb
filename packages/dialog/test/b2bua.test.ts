import { describe, expect, it } from 'vitest';
import { type CallFailedError, createB2BUA, type B2BUACall, type Session } from '../src/index.js';
import { ANSWER, createNetwork, OFFER, settle } from './network.js';

/** Alice → B2BUA (127.0.0.3:5063) → Bob. */
function triangle() {
  const net = createNetwork();
  const alice = net.ua('127.0.0.1', 5061);
  const b2b = net.ua('127.0.0.3', 5063);
  const bob = net.ua('127.0.0.2', 5062);
  const bridged: Promise<B2BUACall>[] = [];
  b2b.on('invite', (call) => {
    const p = createB2BUA(call, 'sip:bob@127.0.0.2:5062');
    p.catch(() => undefined);
    bridged.push(p);
  });
  return { net, alice, b2b, bob, bridged };
}

describe('createB2BUA', () => {
  it('bridges two legs: SDP passes through, 180 is relayed, BYE from the caller ends both', async () => {
    const { net, alice, bob, b2b, bridged } = triangle();
    let bobS!: Promise<Session>;
    bob.on('invite', (call) => {
      void call.progress(180);
      bobS = call.accept({ body: ANSWER });
    });
    const progress: number[] = [];
    const aliceS = await alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER, onProgress: (rs) => progress.push(rs.status) });
    const { a, b } = await bridged[0]!;
    const bob_ = await bobS;
    expect(progress).toEqual([180]);
    expect(aliceS.sdp.remote).toBe(ANSWER);
    expect(bob_.sdp.remote).toBe(OFFER);
    // Two dialogs with different Call-IDs: a B2BUA, not a proxy.
    expect(a.dialog.id.callId).not.toBe(b.dialog.id.callId);
    expect(bob_.dialog.id.callId).toBe(b.dialog.id.callId);
    expect(b2b.dialogs).toBe(2);
    await aliceS.bye();
    await settle();
    expect((await bob_.ended).reason).toBe('bye-received');
    expect(b2b.dialogs).toBe(0);
    expect(net.labels('127.0.0.3:5063').filter((l) => l === 'BYE')).toHaveLength(1);
  });

  it('BYE from the callee ends the caller\'s leg', async () => {
    const { alice, bob, bridged } = triangle();
    let bobS!: Promise<Session>;
    bob.on('invite', (call) => {
      bobS = call.accept({ body: ANSWER });
    });
    const aliceS = await alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER });
    await bridged[0];
    await (await bobS).bye();
    expect((await aliceS.ended).reason).toBe('bye-received');
  });

  it('a failure on the B leg is mapped to the A leg (486 stays 486, 407 becomes 502)', async () => {
    const { alice, bob } = triangle();
    const statuses = [486, 407];
    bob.on('invite', (call) => void call.reject(statuses.shift()));
    const e1 = await alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER }).catch((e: unknown) => e);
    expect((e1 as CallFailedError).status).toBe(486);
    const e2 = await alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER }).catch((e: unknown) => e);
    expect((e2 as CallFailedError).status).toBe(502);
  });

  it('CANCEL from the caller cancels the B leg', async () => {
    const { net, alice, bob } = triangle();
    const cancelled: string[] = [];
    bob.on('invite', (call) => {
      void call.progress(180);
      call.on('cancel', () => cancelled.push('bob'));
    });
    const ac = new AbortController();
    const p = alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toThrow();
    for (let i = 0; i < 5; i++) await settle();
    expect(cancelled).toEqual(['bob']);
    expect(net.labels('127.0.0.3:5063')).toContain('CANCEL');
  });

  it('a re-INVITE on one leg is relayed to the other; the answer comes back', async () => {
    const { alice, bob, bridged } = triangle();
    let bobS!: Promise<Session>;
    bob.on('invite', (call) => {
      bobS = call.accept({ body: ANSWER });
    });
    const aliceS = await alice.invite({ to: 'sip:bob@127.0.0.3:5063', body: OFFER });
    await bridged[0];
    const bob_ = await bobS;
    const offer2 = OFFER.replace('4000', '4002');
    const answer2 = ANSWER.replace('5000', '5002');
    bob_.onOffer = (o) => (o === offer2 ? answer2 : 'wrong');
    await aliceS.reinvite({ body: offer2 });
    expect(aliceS.sdp.remote).toBe(answer2);
    expect(bob_.sdp.remote).toBe(offer2);
  });
});
