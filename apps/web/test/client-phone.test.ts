/**
 * The phone (src/client/phone.ts) in Node: two phones on two `@sipts/dialog` user agents on the
 * dialog package's in-memory network (every message serialized and parsed, fake clock), with a
 * fake media that records the SDP it is given. The browser end to end is client-call-e2e.test.ts.
 */
import type { IncomingCall, UserAgent as DialogAgent } from '@sipts/dialog';
import { describe, expect, it } from 'vitest';
import { createNetwork, settle } from '../../../packages/dialog/test/network.js';
import { MediaError, type CallMedia } from '../src/client/call-media.js';
import { createPhone, type CallEvent, type Phone } from '../src/client/phone.js';

/** A fake media that makes `name`'s SDP and records what it was given. */
function fakeMedia(name: string, log: string[], options: { failOffer?: boolean } = {}): () => CallMedia {
  return () => ({
    offer: () => (options.failOffer === true ? Promise.reject(new MediaError('The page may not use the microphone.')) : Promise.resolve(`v=0\r\no=${name} 1 1 IN IP4 127.0.0.1\r\ns=offer\r\n`)),
    answer: (offer) => {
      log.push(`${name} answers ${offer.split('\r\n')[1] ?? ''}`);
      return Promise.resolve(`v=0\r\no=${name} 2 2 IN IP4 127.0.0.1\r\ns=answer\r\n`);
    },
    accept: (answer) => {
      log.push(`${name} accepts ${answer.split('\r\n')[1] ?? ''}`);
      return Promise.resolve();
    },
    bytesReceived: () => Promise.resolve(160),
    close: () => log.push(`${name} closed`),
  });
}

/** A phone on dialog agent `ua` whose bare names take `domain`. */
function phoneOn(ua: DialogAgent, user: string, domain: string, media: () => CallMedia): { phone: Phone; events: CallEvent[] } {
  const agent = {
    aor: { user, domain, uri: `sip:${user}@${domain}` },
    invite: ua.invite.bind(ua),
    onCall: (l: (call: IncomingCall) => void) => {
      ua.on('invite', l);
      return () => {
        ua.off('invite', l);
      };
    },
  };
  const phone = createPhone({ agent, media });
  const events: CallEvent[] = [];
  phone.onChange((e) => events.push(e));
  return { phone, events };
}

function setup(options: { failOffer?: boolean } = {}) {
  const net = createNetwork();
  const log: string[] = [];
  const a = net.ua('127.0.0.1', 5061, { contact: 'sip:alice@127.0.0.1:5061' });
  const b = net.ua('127.0.0.2', 5062, { contact: 'sip:bob@127.0.0.2:5062' });
  const alice = phoneOn(a, 'alice', '127.0.0.2:5062', fakeMedia('alice', log, options));
  const bob = phoneOn(b, 'bob', '127.0.0.2:5062', fakeMedia('bob', log));
  return { net, log, alice, bob, a, b };
}

describe('the phone', () => {
  it('places a call, the callee accepts, SDP goes both ways, and the caller hangs up (BYE)', async () => {
    const { net, log, alice, bob } = setup();
    const calling = alice.phone.call('bob');
    await settle();
    expect(bob.phone.state).toBe('incoming');
    expect(bob.events.at(-1)).toMatchObject({ state: 'incoming', peer: 'alice@127.0.0.1:5061', direction: 'in' });
    expect(alice.phone.state).toBe('ringing');
    await bob.phone.accept();
    await calling;
    expect(alice.phone.state).toBe('connected');
    expect(bob.phone.state).toBe('connected');
    expect(log).toEqual(['bob answers o=alice 1 1 IN IP4 127.0.0.1', 'alice accepts o=bob 2 2 IN IP4 127.0.0.1']);
    expect(await alice.phone.bytesReceived()).toBe(160);
    await alice.phone.hangUp();
    await settle();
    expect(alice.events.at(-1)).toMatchObject({ state: 'idle', note: 'Call ended.' });
    expect(bob.events.at(-1)).toMatchObject({ state: 'idle', note: 'alice@127.0.0.1:5061 hung up.' });
    expect(log.filter((l) => l.endsWith('closed'))).toEqual(['alice closed', 'bob closed']);
    expect(net.labels()).toEqual(['INVITE', '180', '200', 'ACK', 'BYE', '200']);
    expect(await alice.phone.bytesReceived()).toBeUndefined();
  });

  it('the callee hangs up: the caller reads who did', async () => {
    const { alice, bob } = setup();
    const calling = alice.phone.call('bob@127.0.0.2:5062');
    await settle();
    await bob.phone.accept();
    await calling;
    await bob.phone.hangUp();
    await settle();
    expect(alice.events.at(-1)).toMatchObject({ state: 'idle', note: 'bob@127.0.0.2:5062 hung up.' });
    expect(bob.phone.state).toBe('idle');
  });

  it('a declined call rejects with the reason in plain words (603)', async () => {
    const { net, alice, bob } = setup();
    const calling = alice.phone.call('bob');
    await settle();
    await bob.phone.decline();
    await expect(calling).rejects.toMatchObject({ name: 'ClientError', kind: 'rejected', status: 603, message: 'bob@127.0.0.2:5062 declined the call.' });
    expect(alice.events.at(-1)).toMatchObject({ state: 'idle', note: 'bob@127.0.0.2:5062 declined the call.' });
    expect(bob.events.at(-1)).toMatchObject({ state: 'idle', note: 'Declined the call from alice@127.0.0.1:5061.' });
    expect(net.labels()).toContain('603');
  });

  it('hanging up while it rings sends CANCEL; the callee sees a missed call', async () => {
    const { net, alice, bob } = setup();
    const calling = alice.phone.call('bob');
    await settle();
    await alice.phone.hangUp();
    await calling;
    await settle();
    expect(net.labels()).toEqual(expect.arrayContaining(['CANCEL', '487']));
    expect(bob.events.at(-1)).toMatchObject({ state: 'idle', note: 'Missed call from alice@127.0.0.1:5061.' });
    expect(alice.events.at(-1)).toMatchObject({ state: 'idle', note: 'Call ended.' });
  });

  it('answers a second call 486 while one is in progress', async () => {
    const { net, alice, bob } = setup();
    const carol = phoneOn(net.ua('127.0.0.3', 5063, { contact: 'sip:carol@127.0.0.3:5063' }), 'carol', '127.0.0.2:5062', fakeMedia('carol', []));
    const first = alice.phone.call('bob');
    await settle();
    const second = carol.phone.call('bob');
    await expect(second).rejects.toThrow('bob@127.0.0.2:5062 is busy.');
    expect(bob.events.at(-1)).toMatchObject({ state: 'incoming', peer: 'alice@127.0.0.1:5061' });
    await expect(alice.phone.call('bob')).rejects.toThrow('Hang up the current call first.');
    await bob.phone.accept();
    await first;
    expect(bob.phone.state).toBe('connected');
  });

  it('a refused microphone ends the call before any INVITE', async () => {
    const { net, alice } = setup({ failOffer: true });
    await expect(alice.phone.call('bob')).rejects.toThrow('The page may not use the microphone.');
    expect(alice.phone.state).toBe('idle');
    expect(net.labels()).toEqual([]);
    await expect(alice.phone.call('not an address@')).rejects.toMatchObject({ kind: 'bad-address' });
  });

  it('refuses an INVITE without an offer (488): this phone answers offers only', async () => {
    const { net, a, bob } = setup();
    await expect(a.invite({ to: 'sip:bob@127.0.0.2:5062' })).rejects.toMatchObject({ status: 488 });
    expect(bob.phone.state).toBe('idle');
    expect(net.labels()).toContain('488');
  });
});
