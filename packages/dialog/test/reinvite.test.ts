import { createDigestServer } from '@sipts/digest';
import { describe, expect, it } from 'vitest';
import { type CallFailedError, type Session } from '../src/index.js';
import { advance, ANSWER, OFFER, pair, settle } from './network.js';

async function connected(options: Parameters<typeof pair>[0] = {}) {
  const p = pair(options);
  let bobP!: Promise<Session>;
  p.bob.on('invite', (call) => {
    bobP = call.accept({ body: ANSWER });
  });
  const alice = await p.alice.invite({ to: p.bobUri, body: OFFER });
  const bob = await bobP;
  return { ...p, aliceS: alice, bobS: bob };
}

const OFFER2 = OFFER.replace('m=audio 4000', 'm=audio 4002');
const ANSWER2 = ANSWER.replace('m=audio 5000', 'm=audio 5002');

describe('re-INVITE (RFC 3261 §14)', () => {
  it('a new offer is answered by the peer\'s onOffer; the 2xx is ACKed; both sides see the new SDP', async () => {
    const { net, aliceS, bobS, A } = await connected();
    const offers: string[] = [];
    bobS.onOffer = (offer) => {
      offers.push(offer);
      return ANSWER2;
    };
    const rs = await aliceS.reinvite({ body: OFFER2 });
    await settle();
    expect(rs.status).toBe(200);
    expect(offers).toEqual([OFFER2]);
    expect(aliceS.sdp.remote).toBe(ANSWER2);
    expect(bobS.sdp.remote).toBe(OFFER2);
    expect(bobS.sdp.local).toBe(ANSWER2);
    expect(net.labels(A)).toEqual(['INVITE', 'ACK', 'INVITE', 'ACK']);
    expect(bobS.inviteIn).toBeUndefined(); // the ACK stopped the 2xx retransmissions
  });

  it('a re-INVITE with a lower CSeq than the last one is answered 500 (§12.2.2)', async () => {
    const { aliceS } = await connected();
    aliceS.dialog.localSeq -= 5;
    await expect(aliceS.request('INFO')).resolves.toMatchObject({ status: 500 });
  });

  it('a rejected offer (onOffer throws) is answered 488 and rolled back on both sides', async () => {
    const { aliceS, bobS } = await connected();
    bobS.onOffer = () => {
      throw new Error('no codec in common');
    };
    const err = await aliceS.reinvite({ body: OFFER2 }).catch((e: unknown) => e);
    expect((err as CallFailedError).status).toBe(488);
    expect(aliceS.sdp.state).toBe('stable');
    expect(aliceS.sdp.remote).toBe(ANSWER);
    expect(bobS.sdp.state).toBe('stable');
  });
});

describe('glare (RFC 3261 §14.1, §14.2)', () => {
  it('two re-INVITEs cross: both get 491, retry after the randomized wait, and both finish', async () => {
    const { net, aliceS, bobS, A, B } = await connected();
    const a = aliceS.reinvite({ body: OFFER2 });
    const b = bobS.reinvite({ body: ANSWER2 });
    await settle();
    expect(net.labels().filter((l) => l === '491')).toHaveLength(2);
    await advance(net, 10_000, 10);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    // The caller (owner of the Call-ID) waits 2.1–4 s, the callee 0–2 s (§14.1).
    const invitesA = net.times('INVITE', A);
    const invitesB = net.times('INVITE', B);
    const retryA = invitesA[2]! - invitesA[1]!;
    const retryB = invitesB[1]! - invitesB[0]!;
    expect(retryA).toBeGreaterThanOrEqual(2100);
    expect(retryA).toBeLessThan(4000 + 20);
    expect(retryB).toBeLessThan(2000 + 20);
  });

  it('an UPDATE offer while our own offer is outstanding gets 491 on the wire (RFC 3311 §5.2)', async () => {
    const { net, aliceS, bobS, A, B } = await connected();
    net.drop = (w) => w.label === 'INVITE'; // Alice's re-INVITE is lost: her offer stays outstanding
    void aliceS.reinvite({ body: OFFER2 });
    await settle();
    expect(aliceS.sdp.state).toBe('local-offer');
    void bobS.update({ body: ANSWER2 }).catch(() => undefined); // retried after the §14.1 wait (not reached here)
    await settle();
    expect(net.labels(B)).toContain('UPDATE');
    expect(net.labels(A)).toContain('491');
    expect(bobS.sdp.state).toBe('stable'); // rolled back until the retry
  });

  it('an offer while the peer\'s is unanswered is refused locally (RFC 3264 §4)', async () => {
    const { aliceS, bobS } = await connected();
    bobS.onOffer = () => new Promise<string>(() => undefined); // Bob never answers Alice's offer
    void aliceS.reinvite({ body: OFFER2 });
    await settle();
    await expect(bobS.update({ body: ANSWER2 })).rejects.toMatchObject({ code: 'invalid-state' });
  });
});

describe('UPDATE (RFC 3311)', () => {
  it('an offer in UPDATE is answered in its 200; without a body it only refreshes', async () => {
    const { net, aliceS, bobS, B } = await connected();
    bobS.onOffer = () => ANSWER2;
    const refreshes: string[] = [];
    bobS.on('refresh', (rq) => refreshes.push(rq.method));
    const rs = await aliceS.update({ body: OFFER2 });
    expect(rs.status).toBe(200);
    expect(aliceS.sdp.remote).toBe(ANSWER2);
    expect((await aliceS.update()).status).toBe(200);
    expect(refreshes).toEqual(['UPDATE', 'UPDATE']);
    expect(net.labels(B).filter((l) => l === '200').length).toBe(3);
  });
});

describe('other in-dialog requests', () => {
  it('INFO reaches the request event and its answer goes back', async () => {
    const { aliceS, bobS } = await connected();
    bobS.on('request', (rq, respond) => respond(rq.method === 'INFO' ? 202 : 400));
    expect((await aliceS.request('INFO', { body: 'Signal=5', contentType: 'application/dtmf-relay' })).status).toBe(202);
  });
});

describe('digest retry (RFC 3261 §22.2)', () => {
  it('a 401 to the INVITE is answered with credentials; a 407 inside the dialog too, and the local CSeq follows', async () => {
    const server = createDigestServer({ realm: 'biloxi.example', secret: 'k' });
    const user = { username: 'alice', password: 'wonderland' };
    const p = pair({ alice: { credentials: user } });
    let bobS!: Promise<Session>;
    p.bob.on('invite', (call) => {
      const v = server.verify(call.request, user);
      if (!v.ok) {
        void call.st.respond(server.reject(call.request, v));
        return;
      }
      bobS = call.accept({ body: ANSWER });
    });
    const aliceS = await p.alice.invite({ to: p.bobUri, body: OFFER });
    const bob = await bobS;
    expect(p.net.labels(p.A)).toEqual(['INVITE', 'ACK', 'INVITE', 'ACK']);
    const invites = p.net.log.filter((w) => w.label === 'INVITE').map((w) => w.message);
    expect(invites[1]!.headers.cseq!.seq).toBe(invites[0]!.headers.cseq!.seq + 1);
    expect(invites[1]!.headers.authorization).toBeDefined();
    // Inside the dialog: Bob challenges INFO with 407 once.
    const proxyServer = createDigestServer({ realm: 'biloxi.example', secret: 'k', proxy: true });
    bob.on('request', (rq, respond) => {
      const v = proxyServer.verify(rq, user, { proxy: true });
      if (!v.ok) {
        const rs = proxyServer.reject(rq, v);
        respond(rs.status, { headers: { 'proxy-authenticate': rs.headers['proxy-authenticate'] as never } });
        return;
      }
      respond(200);
    });
    const before = aliceS.dialog.localSeq;
    const rs = await aliceS.request('INFO');
    expect(rs.status).toBe(200);
    expect(aliceS.dialog.localSeq).toBe(before + 2);
    const bye = await aliceS.bye();
    expect(bye.status).toBe(200);
  });
});
