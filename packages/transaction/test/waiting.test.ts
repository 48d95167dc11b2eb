/**
 * The table of waiting transactions on its own, on a fake clock: entries end at their deadline in
 * the order they came, one clock timer per duration, removal and clearing leave no timer behind.
 * @see RFC 3261 §17.2.1, §17.2.2; RFC 6026 §7.1
 */
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../src/fake-clock.js';
import { WaitingTable, type WaitingEntry, type WaitingHandOff } from '../src/waiting.js';
import { udpRemote } from './layer-loopback.js';

const remote = udpRemote();
const bytes = new TextEncoder().encode('SIP/2.0 200 OK\r\n\r\n');
const none = { merge: undefined, answeredByLayer: false, toTag: undefined };

function handOff(what: WaitingHandOff['what'], ms: number): WaitingHandOff {
  return { what, remote, bytes: what === 'completed' ? bytes : undefined, ms };
}

function setup(): { clock: ReturnType<typeof createFakeClock>; table: WaitingTable; ended: string[] } {
  const clock = createFakeClock();
  const ended: string[] = [];
  const table = new WaitingTable({ clock, onExpired: (e: WaitingEntry) => ended.push(e.key) });
  return { clock, table, ended };
}

describe('WaitingTable', () => {
  it('ends entries of two durations at their own deadlines, oldest first, with one timer per duration', () => {
    const { clock, table, ended } = setup();
    table.add('j1', handOff('completed', 32_000), none);
    table.add('i1', handOff('confirmed', 5000), none);
    clock.advance(1000);
    table.add('j2', handOff('completed', 32_000), none);
    table.add('i2', handOff('confirmed', 5000), none);
    expect(clock.pending).toBe(2);
    expect(table.size).toBe(4);
    clock.advance(3999);
    expect(ended).toEqual([]);
    clock.advance(1);
    expect(ended).toEqual(['i1']);
    clock.advance(1000);
    expect(ended).toEqual(['i1', 'i2']);
    clock.advance(32_000 - 6000 - 1);
    expect(ended).toEqual(['i1', 'i2']);
    clock.advance(1);
    expect(ended).toEqual(['i1', 'i2', 'j1']);
    clock.advance(1000);
    expect(ended).toEqual(['i1', 'i2', 'j1', 'j2']);
    expect(table.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('keeps what each state needs: bytes for Completed, the To tag for an INVITE, the answered-by-layer bit', () => {
    const { table } = setup();
    const c = table.add('c', handOff('completed', 100), { merge: 'm', answeredByLayer: true, toTag: 'ignored' });
    const a = table.add('a', handOff('accepted', 100), { merge: undefined, answeredByLayer: false, toTag: 'uas' });
    expect([c.what, c.bytes, c.toTag, c.merge, c.answeredByLayer]).toEqual(['completed', bytes, undefined, 'm', true]);
    expect([a.what, a.bytes, a.toTag, a.merge, a.answeredByLayer]).toEqual(['accepted', undefined, 'uas', undefined, false]);
    expect(table.get('c')).toBe(c);
    expect(table.get('x')).toBeUndefined();
    table.clear();
  });

  it('a removed entry never expires; removing the last one of a duration clears its timer; clear() leaves nothing', () => {
    const { clock, table, ended } = setup();
    table.add('k1', handOff('completed', 100), none);
    table.add('k2', handOff('completed', 100), none);
    expect(table.delete('k1')).toBe(true);
    expect(table.delete('k1')).toBe(false);
    clock.advance(100);
    expect(ended).toEqual(['k2']);
    table.add('k3', handOff('completed', 100), none);
    table.delete('k3');
    expect(clock.pending).toBe(0);
    table.add('k4', handOff('accepted', 100), none);
    table.clear();
    expect(table.size).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(ended).toEqual(['k2']);
  });
});
