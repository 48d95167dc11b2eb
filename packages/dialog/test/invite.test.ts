import { describe, expect, it } from 'vitest';
import { CallFailedError, type IncomingCall, type Session } from '../src/index.js';
import { advance, ANSWER, OFFER, pair, settle } from './network.js';

/** Bob answers every call with 180 then 200 (the answer SDP). */
function autoAnswer(bob: ReturnType<typeof pair>['bob']): Promise<Session>[] {
  const accepted: Promise<Session>[] = [];
  bob.on('invite', (call: IncomingCall) => {
    void call.progress(180);
    accepted.push(call.accept({ body: ANSWER }));
  });
  return accepted;
}

describe('a basic call (RFC 3261 §13)', () => {
  it('INVITE/180/200/ACK then BYE from the caller; both dialogs are gone', async () => {
    const { net, alice, bob, bobUri, A, B } = pair();
    const accepted = autoAnswer(bob);
    const progress: number[] = [];
    const session = await alice.invite({ to: bobUri, body: OFFER, onProgress: (rs) => progress.push(rs.status) });
    const bobSession = await accepted[0]!;
    expect(progress).toEqual([180]);
    expect(net.labels(A)).toEqual(['INVITE', 'ACK']);
    expect(net.labels(B)).toEqual(['180', '200']);
    expect(session.sdp.remote).toBe(ANSWER);
    expect(bobSession.sdp.remote).toBe(OFFER);
    expect(session.state).toBe('confirmed');
    expect(alice.dialogs).toBe(1);
    expect(bob.dialogs).toBe(1);
    // §13.2.2.4: the ACK has the INVITE's CSeq number and method ACK, and the dialog's tags.
    const invite = net.log.find((w) => w.label === 'INVITE')!.message;
    const ack = net.log.find((w) => w.label === 'ACK')!.message;
    expect(ack.headers.cseq).toEqual({ seq: invite.headers.cseq!.seq, method: 'ACK' });
    expect(ack.headers.to?.params.tag).toBe(bobSession.dialog.id.localTag);
    expect((ack as { uri: string }).uri).toBe('sip:ua@127.0.0.2:5062'); // the remote target: Bob's Contact
    const byeSeen: string[] = [];
    bobSession.on('bye', (rq) => byeSeen.push(rq.method));
    const rs = await session.bye();
    await settle();
    expect(rs.status).toBe(200);
    expect(byeSeen).toEqual(['BYE']);
    expect((await bobSession.ended).reason).toBe('bye-received');
    expect((await session.ended).reason).toBe('bye-sent');
    const bye = net.log.find((w) => w.label === 'BYE')!.message;
    expect(bye.headers.cseq!.seq).toBe(invite.headers.cseq!.seq + 1);
    expect(alice.dialogs + bob.dialogs).toBe(0);
  });

  it('BYE from the callee ends the caller\'s session', async () => {
    const { alice, bob, bobUri } = pair();
    const accepted = autoAnswer(bob);
    const session = await alice.invite({ to: bobUri, body: OFFER });
    const bobSession = await accepted[0]!;
    expect((await bobSession.bye()).status).toBe(200);
    expect((await session.ended).reason).toBe('bye-received');
  });

  it('a rejected call rejects with CallFailedError carrying the status', async () => {
    const { alice, bob, bobUri } = pair();
    bob.on('invite', (call) => void call.reject(486));
    const err = await alice.invite({ to: bobUri, body: OFFER }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallFailedError);
    expect((err as CallFailedError).status).toBe(486);
    expect(alice.dialogs + bob.dialogs).toBe(0);
  });

  it('no listener: 480', async () => {
    const { alice, bobUri } = pair();
    const err = await alice.invite({ to: bobUri }).catch((e: unknown) => e);
    expect((err as CallFailedError).status).toBe(480);
  });

  it('a request for an unknown dialog gets 481 (§12.2.2)', async () => {
    const { alice, bob, bobUri } = pair();
    const accepted = autoAnswer(bob);
    const session = await alice.invite({ to: bobUri, body: OFFER });
    const bobSession = await accepted[0]!;
    // Bob forgets the dialog (no BYE sent): Alice's next request in it finds nothing there.
    bobSession.terminate({ reason: 'stopped' });
    expect(bob.dialogs).toBe(0);
    const rs = await session.request('INFO');
    expect(rs.status).toBe(481);
  });
});

describe('the UAS retransmits its 2xx until the ACK (RFC 3261 §13.3.1.4)', () => {
  it('at T1, 2·T1, 4·T1… capped at T2 while ACKs are lost; an ACK stops it; the UAC ACKs every 2xx again', async () => {
    const { net, alice, bob, bobUri, A, B } = pair();
    const accepted = autoAnswer(bob);
    let acksToDrop = 3;
    net.drop = (w) => w.label === 'ACK' && acksToDrop-- > 0;
    const session = await alice.invite({ to: bobUri, body: OFFER });
    await advance(net, 20_000, 100);
    const bobSession = await accepted[0]!;
    const t0 = net.times('200', B)[0]!;
    // Sent at t0, then t0+500, +1500, +3500 (three ACKs lost), the fourth ACK gets through.
    expect(net.times('200', B).map((t) => t - t0)).toEqual([0, 500, 1500, 3500]);
    expect(net.times('ACK', A).length).toBe(4);
    expect(bobSession.state).toBe('confirmed');
    expect(session.state).toBe('confirmed');
  });

  it('no ACK at all: retransmissions up to 64·T1, then BYE and accept() rejects', async () => {
    const { net, alice, bob, bobUri, B } = pair();
    const errors: unknown[] = [];
    bob.on('invite', (call) => {
      call.accept({ body: ANSWER }).catch((e: unknown) => errors.push(e));
    });
    net.drop = (w) => w.label === 'ACK';
    const session = await alice.invite({ to: bobUri, body: OFFER });
    await advance(net, 40_000, 250);
    const t0 = net.times('200', B)[0]!;
    const gaps = net.times('200', B).map((t) => t - t0).filter((t) => t > 0 || t === 0);
    // T1=500: 0, 500, 1500, 3500, 7500, then every T2=4000 until 64·T1 = 32000.
    expect(gaps.slice(0, 9)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500]);
    expect(net.times('BYE', B)).toEqual([t0 + 32_000]);
    expect((errors[0] as { code: string }).code).toBe('ack-timeout');
    expect((await session.ended).reason).toBe('bye-received');
  });
});

describe('CANCEL (RFC 3261 §9)', () => {
  it('aborting a ringing call sends CANCEL; the callee sees cancel, the caller\'s promise rejects', async () => {
    const { net, alice, bob, bobUri, A } = pair();
    const cancels: string[] = [];
    bob.on('invite', (call) => {
      void call.progress(180);
      call.on('cancel', (rq) => cancels.push(rq.method));
    });
    const ac = new AbortController();
    const call = alice.invite({ to: bobUri, body: OFFER, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(call).rejects.toThrow();
    await settle();
    await advance(net, 100);
    expect(cancels).toEqual(['CANCEL']);
    expect(net.labels(A)).toEqual(['INVITE', 'CANCEL', 'ACK']); // the ACK is the transaction's, for the 487
    expect(net.labels().filter((l) => l === '487')).toHaveLength(1);
    expect(alice.dialogs + bob.dialogs).toBe(0);
  });
});

describe('forked 2xx (RFC 3261 §13.2.2.4, §12.1.2)', () => {
  it('a second 2xx with another To tag makes a second dialog: ACKed, then BYE unless onFork takes it', async () => {
    const { net, alice, bob, bobUri, A } = pair();
    // Bob answers twice with two To tags, as two forks behind a proxy would.
    bob.on('invite', (call) => {
      void call.accept({ body: ANSWER });
    });
    // Build the second fork's 2xx by hand from the INVITE that reached Bob.
    const forks: Session[] = [];
    const sessionP = alice.invite({ to: bobUri, body: OFFER, onFork: (s) => forks.push(s) });
    await settle();
    const ok = structuredClone(net.log.find((w) => w.label === '200')!.message);
    ok.headers.to!.params.tag = 'fork2';
    const ep = net.endpoint('127.0.0.2', 5062);
    ep.port.sendResponse(ep.port.prepareResponse(ok as never, { protocol: 'UDP', address: '127.0.0.1', port: 5061, local: { address: '127.0.0.2', port: 5062 } }));
    await settle();
    const session = await sessionP;
    expect(forks).toHaveLength(1);
    expect(forks[0]!.dialog.id.remoteTag).toBe('fork2');
    expect(session.dialog.id.remoteTag).not.toBe('fork2');
    expect(net.labels(A).filter((l) => l === 'ACK')).toHaveLength(2);
    expect(alice.dialogs).toBe(2);
  });
});

describe('bounds against a hostile peer', () => {
  it('provisional responses with ever new To tags create at most 32 early dialogs for one INVITE', async () => {
    const { net, alice, bob, bobUri } = pair();
    bob.on('invite', () => undefined); // Bob never answers: the hostile 183s below come 'from' him
    const p = alice.invite({ to: bobUri, body: OFFER }).catch(() => undefined);
    await settle();
    const invite = net.log.find((w) => w.label === 'INVITE')!.message;
    const ep = net.endpoint('127.0.0.2', 5062);
    for (let i = 0; i < 100; i++) {
      const rs = structuredClone(invite) as never as { status: number; reason: string; method?: string; uri?: string; headers: Record<string, any> };
      delete rs.method;
      delete rs.uri;
      rs.status = 183;
      rs.reason = 'Session Progress';
      rs.headers.to.params.tag = `t${String(i)}`;
      rs.headers.contact = [{ uri: 'sip:ua@127.0.0.2:5062', params: {} }];
      ep.port.sendResponse(ep.port.prepareResponse(rs as never, { protocol: 'UDP', address: '127.0.0.1', port: 5061, local: { address: '127.0.0.2', port: 5062 } }));
    }
    await settle();
    expect(alice.dialogs).toBe(32);
    void p;
  });
});

describe('an INVITE that cannot make a dialog', () => {
  it('no Contact: 400, no dialog, no invite event (RFC 3261 §8.1.1.8, §12.1.1)', async () => {
    const { net, alice, bob, bobUri, B } = pair();
    const seen: string[] = [];
    bob.on('invite', () => seen.push('invite'));
    const err = alice.invite({ to: bobUri, body: OFFER, headers: { contact: undefined } as never }).catch((e: unknown) => e);
    expect(((await err) as { status: number }).status).toBe(400);
    expect(seen).toEqual([]);
    expect(net.labels(B)).toEqual(['400']);
    expect(bob.dialogs).toBe(0);
  });
});

describe('Record-Route (RFC 3261 §12.1.1, §12.1.2)', () => {
  it('the UAS copies Record-Route into its 1xx/2xx; both route sets name the proxy, in opposite orders', async () => {
    // The proxies are not on this wire: Alice sends everything straight to Bob (an outbound proxy).
    const { net, alice, bob, bobUri, B } = pair({ alice: { outboundProxy: { protocol: 'UDP', address: '127.0.0.2', port: 5062 } } });
    let bobP!: Promise<Session>;
    bob.on('invite', (call) => {
      void call.progress(180);
      bobP = call.accept({ body: ANSWER });
    });
    // As if two proxies had record-routed the INVITE (the wire here is direct).
    const aliceS = await alice.invite({ to: bobUri, body: OFFER, headers: { 'record-route': [{ uri: 'sip:127.0.0.10;lr', params: {} }, { uri: 'sip:127.0.0.11;lr', params: {} }] } });
    const bobS = await bobP;
    for (const w of net.log.filter((x) => x.from === B && (x.label === '180' || x.label === '200'))) {
      expect(w.message.headers['record-route']).toHaveLength(2);
    }
    const hosts = (s: Session) => s.dialog.routeSet.map((r) => (typeof r.uri === 'string' ? r.uri : (r.uri as { host: string }).host));
    expect(hosts(bobS)).toEqual(['127.0.0.10', '127.0.0.11']);
    expect(hosts(aliceS)).toEqual(['127.0.0.11', '127.0.0.10']);
  });
});
