import { describe, expect, it } from 'vitest';
import type { Session } from '../src/index.js';
import { advance, ANSWER, OFFER, pair, settle } from './network.js';

describe('reliable provisional responses (RFC 3262)', () => {
  it('183 with 100rel and RSeq is PRACKed; the UAS stops retransmitting; the answer in the 183 completes offer/answer', async () => {
    const { net, alice, bob, bobUri, A, B } = pair();
    let prackDone = false;
    let bobS!: Promise<Session>;
    let reliable = false;
    bob.on('invite', (call) => {
      reliable = call.reliableSupported;
      void call.progress(183, { body: ANSWER, reliable: true }).then(() => {
        prackDone = true;
        bobS = call.accept();
      });
    });
    const early: (Session | undefined)[] = [];
    const aliceS = await alice.invite({ to: bobUri, body: OFFER, onProgress: (_rs, s) => early.push(s) });
    await settle();
    expect(reliable).toBe(true);
    expect(prackDone).toBe(true);
    expect(early[0]?.dialog.id.remoteTag).toBe(aliceS.dialog.id.remoteTag); // the early dialog became the session
    const p183 = net.log.find((w) => w.label === '183')!.message;
    expect(p183.headers.require).toBe('100rel');
    const rseq = Number(p183.headers.rseq);
    const prack = net.log.find((w) => w.label === 'PRACK')!.message;
    const invite = net.log.find((w) => w.label === 'INVITE')!.message;
    expect(prack.headers.rack).toBe(`${String(rseq)} ${String(invite.headers.cseq!.seq)} INVITE`);
    expect(prack.headers.cseq!.seq).toBe(invite.headers.cseq!.seq + 1);
    expect(net.labels(A)).toEqual(['INVITE', 'PRACK', 'ACK']);
    expect(net.labels(B)).toEqual(['183', '200', '200']);
    expect(aliceS.sdp.remote).toBe(ANSWER);
    expect((await bobS).sdp.remote).toBe(OFFER);
  });

  it('lost PRACKs: the 183 is retransmitted at T1, 2·T1, 4·T1 (no T2 cap) and each copy is PRACKed once per RSeq', async () => {
    const { net, alice, bob, bobUri, A, B } = pair();
    let dropped = 0;
    net.drop = (w) => w.label === 'PRACK' && dropped++ < 2;
    let bobS!: Promise<Session>;
    bob.on('invite', (call) => {
      void call.progress(183, { reliable: true }).then(() => {
        bobS = call.accept({ body: ANSWER });
      });
    });
    const aliceP = alice.invite({ to: bobUri, body: OFFER });
    await advance(net, 5000, 50);
    await aliceP;
    await bobS;
    const t0 = net.times('183', B)[0]!;
    expect(net.times('183', B).map((t) => t - t0)).toEqual([0, 500, 1500]);
    // A retransmitted 183 (same RSeq) after a lost PRACK: the UAC PRACKs only the first copy it sees; the
    // PRACK transaction retransmits itself (non-INVITE, Timer E), which is what gets through.
    expect(net.labels(A).filter((l) => l === 'PRACK').length).toBeGreaterThanOrEqual(3);
  });

  it('no PRACK in 64·T1: the UAS rejects the INVITE with a 5xx (RFC 3262 §3)', async () => {
    const { net, alice, bob, bobUri, B } = pair();
    net.drop = (w) => w.label === 'PRACK';
    const errors: unknown[] = [];
    bob.on('invite', (call) => {
      call.progress(183, { reliable: true }).catch((e: unknown) => errors.push(e));
    });
    const result = alice.invite({ to: bobUri, body: OFFER }).catch((e: unknown) => e);
    await advance(net, 33_000, 250);
    expect((errors[0] as { code: string }).code).toBe('prack-timeout');
    expect(net.labels(B)).toContain('500');
    expect(((await result) as { status: number }).status).toBe(500);
  });

  it('without 100rel support from the caller, a reliable request falls back to an unreliable 180', async () => {
    const { net, alice, bob, bobUri, B } = pair();
    bob.on('invite', (call) => {
      void call.progress(180, { reliable: true }).then(() => call.accept({ body: ANSWER }));
    });
    await alice.invite({ to: bobUri, body: OFFER, reliable: false });
    await settle();
    expect(net.log.find((w) => w.label === '180')!.message.headers.rseq).toBeUndefined();
    expect(net.labels(B)).toEqual(['180', '200']);
  });
});
