/**
 * The table of waiting transactions on its own, on a fake clock: entries end at their deadline in
 * the order they came, one clock timer per duration, removal and clearing leave no timer behind.
 * @see RFC 3261 §17.2.1, §17.2.2; RFC 6026 §7.1
 */
import type { PreparedResponse } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../src/fake-clock.js';
import { WaitingTable, type WaitingEntry, type WaitingHandOff } from '../src/waiting.js';
import { udpRemote } from './layer-loopback.js';

const remote = udpRemote();
const bytes: PreparedResponse = { bytes: new TextEncoder().encode('SIP/2.0 200 OK\r\n\r\n'), to: { protocol: 'UDP', address: remote.address, port: remote.port }, status: 200 };
const none = { merge: undefined, answeredByLayer: false, toTag: undefined };

function handOff(what: WaitingHandOff['what'], ms: number): WaitingHandOff {
  return { what, remote, bytes: what === 'completed' ? bytes : undefined, ms };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
    table.add('c', handOff('completed', 100), { merge: 7, answeredByLayer: true, toTag: 'ignored' });
    table.add('a', handOff('accepted', 100), { merge: undefined, answeredByLayer: false, toTag: 'uas' });
    const c = table.get('c') as WaitingEntry;
    const a = table.get('a') as WaitingEntry;
    expect([c.key, c.what, c.bytes, c.toTag, c.merge, c.answeredByLayer]).toEqual(['c', 'completed', bytes, undefined, 7, true]);
    expect([a.key, a.what, a.bytes, a.toTag, a.merge, a.answeredByLayer, a.remote]).toEqual(['a', 'accepted', undefined, 'uas', undefined, false, remote]);
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

  it('keeps no array per response: small responses share arena chunks and come back byte for byte; a large one keeps its own', () => {
    const { clock, table } = setup();
    const sizes = [1, 300, 5000, 4096, 4097, 17, 32 * 1024 - 1];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) {
      const n = sizes[i % sizes.length] as number;
      const b = new Uint8Array(n).map((_, j) => (i * 31 + j) & 255);
      sent.push(b);
      table.add(`k${String(i)}`, { what: 'completed', remote, bytes: { ...bytes, bytes: b, status: 200 + (i % 3) }, ms: 100 }, none);
    }
    const chunks = new Set<unknown>();
    for (let i = 0; i < 400; i++) {
      const entry = table.get(`k${String(i)}`) as WaitingEntry;
      const got = entry.bytes as PreparedResponse;
      const want = sent[i] as Uint8Array;
      expect(same(got.bytes, want)).toBe(true);
      expect(got.status).toBe(200 + (i % 3));
      expect(got.to).toBe(bytes.to);
      if (want.length <= 4096) {
        // Copied into a shared chunk: the entry does not hold the array it was given.
        expect(entry.data).not.toBe(want);
        chunks.add(entry.data);
      } else {
        expect(entry.data).toBe(want);
      }
    }
    // 400 responses of ≤ 4 KiB (about 230 KB) in a few 32 KiB chunks, not one array each.
    expect(chunks.size).toBeLessThan(20);
    clock.advance(100);
    expect(table.size).toBe(0);
  });

  it('an expired or removed entry leaves no key behind and the queue keeps working after many entries', () => {
    const { clock, table, ended } = setup();
    for (let i = 0; i < 3000; i++) {
      table.add(`a${String(i)}`, handOff('completed', 100), none);
      if (i % 3 === 0) table.delete(`a${String(i)}`);
      clock.advance(i % 50 === 0 ? 1 : 0);
    }
    expect(table.size).toBe(2000);
    clock.advance(100);
    expect(ended).toHaveLength(2000);
    expect(ended[0]).toBe('a1');
    expect(table.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('entries to the same place with the same status share one route object; another target, status or extra field gets its own', () => {
    const { table } = setup();
    const to = (port: number) => ({ protocol: 'UDP' as const, address: '192.0.2.4', port });
    const add = (k: string, p: PreparedResponse) => {
      table.add(k, { what: 'completed', remote, bytes: p, ms: 100 }, none);
      return table.get(k)?.route;
    };
    const b = (n: number) => new Uint8Array([n]);
    const r1 = add('r1', { bytes: b(1), to: to(5060), status: 200 });
    const r2 = add('r2', { bytes: b(2), to: to(5060), status: 200 });
    const r3 = add('r3', { bytes: b(3), to: to(5062), status: 200 });
    const r4 = add('r4', { bytes: b(4), to: to(5062), status: 404 });
    const r5 = add('r5', { bytes: b(5), to: to(5062), status: 404, extra: 1 } as PreparedResponse);
    expect(r2).toBe(r1);
    expect(new Set([r1, r3, r4, r5]).size).toBe(4);
    expect(Array.from((table.get('r2') as WaitingEntry).bytes?.bytes ?? [])).toEqual([2]);
    expect((table.get('r5') as WaitingEntry).bytes).toMatchObject({ status: 404, extra: 1, to: to(5062) });
    table.clear();
  });

  it('keeps keys of every kind: equal hashes told apart by key, a key above U+00FF or longer than a shared chunk, a key as its expiry reports it', () => {
    const { clock, table, ended } = setup();
    const wide = '3\u0001z9hG4bK-\u00e9\u4e2d\u0001host:5060\u0001OPTIONS';
    const long = 'k'.repeat(5000);
    // Two keys forced to one hash: a lookup compares the key itself.
    table.add('same-hash-1', handOff('completed', 100), { merge: 1, answeredByLayer: false, toTag: undefined }, 77);
    table.add('same-hash-2', handOff('completed', 100), { merge: 2, answeredByLayer: false, toTag: undefined }, 77);
    table.add(wide, handOff('accepted', 100), { merge: undefined, answeredByLayer: false, toTag: 'w' });
    table.add(long, handOff('completed', 100), none);
    expect(table.get('same-hash-1', 77)?.merge).toBe(1);
    expect(table.get('same-hash-2', 77)?.merge).toBe(2);
    expect(table.get('same-hash-3', 77)).toBeUndefined();
    expect(table.get(wide)?.toTag).toBe('w');
    expect(table.get(long)?.key).toBe(long);
    expect(same(table.get(long)?.bytes?.bytes ?? new Uint8Array(0), bytes.bytes)).toBe(true);
    expect(table.delete('same-hash-1', 77)).toBe(true);
    expect(table.get('same-hash-1', 77)).toBeUndefined();
    expect(table.get('same-hash-2', 77)?.merge).toBe(2);
    clock.advance(100);
    expect(ended).toEqual(['same-hash-2', wide, long]);
    expect(table.size).toBe(0);
  });

  it('reuses the rows of ended entries and stays right through growth: a run of 20,000 adds, removals and expiries', () => {
    const { clock, table, ended } = setup();
    const live = new Set<string>();
    let n = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) {
        const key = `r${String(n++)}`;
        table.add(key, handOff(i % 2 === 0 ? 'completed' : 'confirmed', 50), none);
        live.add(key);
        if (i % 7 === 0) {
          const gone = `r${String(n - 3)}`;
          if (table.delete(gone)) live.delete(gone);
        }
      }
      for (const key of [`r${String(n - 1)}`, `r${String(n - 500)}`]) expect(table.get(key)?.key).toBe(key);
      clock.advance(round % 2 === 0 ? 10 : 50);
      for (const key of ended) live.delete(key);
      ended.length = 0;
      expect(table.size).toBe(live.size);
    }
    clock.advance(50);
    expect(table.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

