/**
 * A BYE that arrives in the same read as the ACK (one TCP segment holding both) is handled before
 * the code awaiting `call.accept()` runs, so listeners it adds come after the session ended. The
 * final events (`bye`, `ended`) reach such late listeners: a B2BUA that hangs up the other leg
 * on `ended` must not miss it (the callee sipp once counted 9 of 10 calls over TCP for this).
 * @see RFC 3261 §15.1.2
 */
import type { SipRequest } from '@sipts/message';
import type { Remote } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { createUserAgent, type SessionEnd } from '../src/index.js';
import { ANSWER, createNetwork, OFFER, settle } from './network.js';

/** Alice and Bob, where Bob's ACK is held back and delivered in the same turn as the BYE after it. */
function ackAndByeTogether() {
  const net = createNetwork();
  const alice = net.ua('127.0.0.1', 5061);
  const ep = net.endpoint('127.0.0.2', 5062);
  const bob = createUserAgent({ transport: ep.port, contact: 'sip:ua@127.0.0.2:5062', clock: net.clock });
  let held: [SipRequest, Remote] | undefined;
  ep.bind({
    onRequest: (rq, remote) => {
      if (rq.method === 'ACK') {
        held = [rq, remote];
        return;
      }
      if (rq.method === 'BYE' && held !== undefined) {
        bob.handlers.onRequest(...held); // one read: the ACK, then the BYE, in the same turn
        held = undefined;
      }
      bob.handlers.onRequest(rq, remote);
    },
    onResponse: (rs, remote) => {
      bob.handlers.onResponse(rs, remote);
    },
  });
  return { net, alice, bob };
}

describe('final session events reach listeners added after they fired', () => {
  it('bye and ended reach the listeners added after `await call.accept()` (ACK and BYE in one read)', async () => {
    const { alice, bob } = ackAndByeTogether();
    const seen: string[] = [];
    bob.on('invite', (call) => {
      void (async () => {
        const session = await call.accept({ body: ANSWER });
        session.on('bye', (rq) => seen.push(`bye ${rq.method}`));
        session.once('ended', (end: SessionEnd) => seen.push(`ended ${end.reason}`));
        session.on('sdp', () => seen.push('sdp')); // not final: not replayed
      })();
    });
    const session = await alice.invite({ to: 'sip:bob@127.0.0.2:5062', body: OFFER });
    expect((await session.bye()).status).toBe(200);
    await settle();
    expect(seen).toEqual(['bye BYE', 'ended bye-received']);
    expect(bob.dialogs).toBe(0);
  });

  it('a late listener removed before its turn is not called, and each is called once', async () => {
    const { alice, bob } = ackAndByeTogether();
    const seen: string[] = [];
    bob.on('invite', (call) => {
      void call.accept({ body: ANSWER }).then((session) => {
        const gone = (): void => {
          seen.push('removed listener called');
        };
        session.on('ended', gone);
        session.off('ended', gone);
        session.on('ended', (end) => seen.push(end.reason));
      });
    });
    const session = await alice.invite({ to: 'sip:bob@127.0.0.2:5062', body: OFFER });
    await session.bye();
    await settle();
    await settle();
    expect(seen).toEqual(['bye-received']);
  });

  it('a bye listener added by an ended listener is called once (by the event itself, not a replay too)', async () => {
    const { alice, bob } = ackAndByeTogether();
    let byes = 0;
    bob.on('invite', (call) => {
      call.session.on('ended', () => {
        call.session.on('bye', () => byes++);
      });
      void call.accept({ body: ANSWER });
    });
    const session = await alice.invite({ to: 'sip:bob@127.0.0.2:5062', body: OFFER });
    await session.bye();
    await settle();
    await settle();
    expect(byes).toBe(1);
  });
});
