/**
 * The waiting table's hash index against a `Map` doing the same operations: items found by key
 * after any mix of adds and removals, with colliding hashes, runs that wrap around the end of the
 * slots, growth and shrinking. The same for `KeyMap` (a `Map<string, V>` stand-in) and `SlotSet`
 * (a `Set` of objects).
 */
import { describe, expect, it } from 'vitest';
import { IntPairs, KeyIndex, KeyMap, RowIndex, SlotSet, keyHash, type Keyed, type Slotted } from '../src/key-index.js';

interface Item extends Keyed {
  readonly n: number;
}

/** A small deterministic generator (the test must replay the same way every time). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function item(key: string, n: number, hash = keyHash(key)): Item {
  return { key, hash, n };
}

/** Every key of `model` is found with its item, and a few absent keys are not. */
function agrees(index: KeyIndex<Item>, model: Map<string, Item>): void {
  expect(index.size).toBe(model.size);
  for (const [key, it] of model) expect(index.get(key, it.hash)).toBe(it);
}

describe('KeyIndex', () => {
  it('keyHash gives a small non-zero integer, the same for equal keys', () => {
    const key = ['3', 'z9hG4bK-1-1-0', '127.0.0.1:5060', 'OPTIONS'].join('\u0001');
    const h = keyHash(key);
    expect(h).toBe(keyHash(key.slice(0)));
    expect(Number.isInteger(h) && h > 0 && h < 2 ** 30).toBe(true);
  });

  it('agrees with a Map over 20,000 random adds and removals, through growth and shrinking', () => {
    const index = new KeyIndex<Item>();
    const model = new Map<string, Item>();
    const live: Item[] = [];
    const rand = lcg(7);
    let peak = 0;
    for (let n = 0; n < 20_000; n++) {
      // Grow for the first half, then mostly remove: the slots double and halve again.
      const adding = n < 10_000 ? rand() < 0.8 : rand() < 0.1;
      if (adding || live.length === 0) {
        const it = item(`k${String(n)}`, n);
        expect(index.get(it.key)).toBeUndefined();
        index.add(it);
        model.set(it.key, it);
        live.push(it);
      } else {
        const at = Math.floor(rand() * live.length);
        const it = live[at] as Item;
        live[at] = live[live.length - 1] as Item;
        live.pop();
        expect(index.remove(it)).toBe(true);
        expect(index.remove(it)).toBe(false);
        model.delete(it.key);
        expect(index.get(it.key)).toBeUndefined();
      }
      peak = Math.max(peak, model.size);
      if (n % 997 === 0) agrees(index, model);
    }
    agrees(index, model);
    expect(peak).toBeGreaterThan(5000);
  });

  it('keeps colliding hashes apart by key, also in a run that wraps past the last slot', () => {
    const index = new KeyIndex<Item>();
    // 63 is the last of the 64 initial slots: the run of equal hashes wraps to slot 0 onwards.
    const same = Array.from({ length: 20 }, (_, n) => item(`same${String(n)}`, n, 63));
    const near = Array.from({ length: 10 }, (_, n) => item(`near${String(n)}`, 100 + n, 1 + n));
    const model = new Map<string, Item>();
    for (const it of [...same.slice(0, 10), ...near, ...same.slice(10)]) {
      index.add(it);
      model.set(it.key, it);
    }
    agrees(index, model);
    expect(index.get('same-absent', 63)).toBeUndefined();
    // Remove from the middle and the front of the run: the rest stay reachable.
    for (const it of [same[4], same[0], near[2], same[19], near[0]] as Item[]) {
      expect(index.remove(it)).toBe(true);
      model.delete(it.key);
      agrees(index, model);
    }
  });

  it('removes by identity: an item with the same key that is not held is not removed', () => {
    const index = new KeyIndex<Item>();
    const held = item('k', 1);
    index.add(held);
    expect(index.remove(item('k', 2))).toBe(false);
    expect(index.get('k')).toBe(held);
  });

  it('clear forgets every item', () => {
    const index = new KeyIndex<Item>();
    for (let n = 0; n < 500; n++) index.add(item(`k${String(n)}`, n));
    index.clear();
    expect(index.size).toBe(0);
    expect(index.get('k1')).toBeUndefined();
    const again = item('k1', 1);
    index.add(again);
    expect(index.get('k1')).toBe(again);
  });
});

describe('IntPairs', () => {
  it('agrees with a Map over 20,000 random sets and deletes, keys crowded into few home slots', () => {
    const pairs = new IntPairs();
    const model = new Map<number, number>();
    const rand = lcg(11);
    for (let n = 0; n < 20_000; n++) {
      // Keys share their low bits often (multiples of 256), so runs form and wrap.
      const key = 1 + Math.floor(rand() * 4000) * 256;
      if (n < 12_000 ? rand() < 0.7 : rand() < 0.2) {
        if (model.has(key)) continue;
        pairs.set(key, n - 10_000);
        model.set(key, n - 10_000);
      } else {
        expect(pairs.delete(key)).toBe(model.delete(key));
      }
      if (n % 997 === 0) {
        expect(pairs.size).toBe(model.size);
        for (const [k, v] of model) expect(pairs.get(k)).toBe(v);
      }
    }
    for (const [k, v] of model) expect(pairs.get(k)).toBe(v);
    expect(pairs.get(2)).toBeUndefined();
    pairs.clear();
    expect(pairs.size).toBe(0);
    expect(pairs.get(257)).toBeUndefined();
  });
});

describe('KeyMap', () => {
  it('agrees with a Map over 20,000 random sets, overwrites and deletes, through growth and shrinking', () => {
    const map = new KeyMap<number>();
    const model = new Map<string, number>();
    const rand = lcg(13);
    for (let n = 0; n < 20_000; n++) {
      const key = `key-${String(Math.floor(rand() * (n < 10_000 ? 8000 : 600)))}`;
      const op = rand();
      if (op < (n < 10_000 ? 0.7 : 0.2)) {
        map.set(key, n);
        model.set(key, n);
      } else {
        expect(map.delete(key)).toBe(model.delete(key));
        expect(map.has(key)).toBe(false);
      }
      if (n % 997 === 0) {
        expect(map.size).toBe(model.size);
        for (const [k, v] of model) expect(map.get(k)).toBe(v);
      }
    }
    expect(map.size).toBe(model.size);
    for (const [k, v] of model) expect(map.get(k, keyHash(k))).toBe(v);
    expect(map.keys().sort()).toEqual([...model.keys()].sort());
    expect(map.values().sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
    expect(map.get('absent')).toBeUndefined();
  });

  it('keeps keys with one hash apart, and finds the rest after one of them is deleted', () => {
    const map = new KeyMap<string>();
    for (let n = 0; n < 12; n++) map.set(`same${String(n)}`, `v${String(n)}`, 63);
    expect(map.get('same3', 63)).toBe('v3');
    expect(map.delete('same0', 63)).toBe(true);
    for (let n = 1; n < 12; n++) expect(map.get(`same${String(n)}`, 63)).toBe(`v${String(n)}`);
    expect(map.get('same0', 63)).toBeUndefined();
  });

  it('set on a held key replaces its value without adding an entry', () => {
    const map = new KeyMap<number>();
    map.set('k', 1);
    map.set('k', 2);
    expect(map.size).toBe(1);
    expect(map.get('k')).toBe(2);
  });

  it('clear forgets every entry', () => {
    const map = new KeyMap<number>();
    for (let n = 0; n < 300; n++) map.set(`k${String(n)}`, n);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get('k1')).toBeUndefined();
    expect(map.values()).toEqual([]);
  });
});

describe('SlotSet', () => {
  interface Member extends Slotted {
    readonly n: number;
  }
  const member = (n: number): Member => ({ n, slot: -1 });

  it('agrees with a Set over 5,000 random adds and deletes, members keeping their slots right', () => {
    const set = new SlotSet<Member>();
    const model = new Set<Member>();
    const pool = Array.from({ length: 300 }, (_, n) => member(n));
    const rand = lcg(17);
    for (let n = 0; n < 5_000; n++) {
      const m = pool[Math.floor(rand() * pool.length)] as Member;
      if (rand() < 0.5) {
        set.add(m);
        model.add(m);
      } else {
        expect(set.delete(m)).toBe(model.delete(m));
      }
      expect(set.size).toBe(model.size);
      expect(set.has(m)).toBe(model.has(m));
    }
    expect(new Set(set.values())).toEqual(model);
    for (const m of pool) expect(set.has(m)).toBe(model.has(m));
  });

  it('adding a member twice keeps one; a member that left has slot -1', () => {
    const set = new SlotSet<Member>();
    const a = member(1);
    const b = member(2);
    set.add(a);
    set.add(a);
    set.add(b);
    expect(set.size).toBe(2);
    expect(set.delete(a)).toBe(true);
    expect(a.slot).toBe(-1);
    expect(set.delete(a)).toBe(false);
    expect(set.values()).toEqual([b]);
    set.clear();
    expect(b.slot).toBe(-1);
    expect(set.size).toBe(0);
  });
});

describe('RowIndex', () => {
  /** The rows held under `hash`, in probe order. */
  function rowsOf(index: RowIndex, hash: number): number[] {
    const out: number[] = [];
    for (let s = index.first(hash); s !== -1; s = index.next(s, hash)) out.push(index.rowAt(s));
    return out;
  }

  it('agrees with a map of hash to rows over 20,000 random adds and removals, with many rows per hash, through growth and shrinking', () => {
    const rnd = lcg(7);
    const index = new RowIndex();
    const model = new Map<number, Set<number>>();
    let size = 0;
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      // Few distinct hashes, so runs of equal hashes are long and wrap around the slots.
      const hash = 1 + Math.floor(rnd() * (step < 10_000 ? 50 : 5)) * 4096;
      const rows = model.get(hash) ?? new Set<number>();
      model.set(hash, rows);
      if (rnd() < (step < 10_000 ? 0.6 : 0.3) || rows.size === 0) {
        index.add(hash, next);
        rows.add(next++);
        size++;
      } else {
        const row = [...rows][Math.floor(rnd() * rows.size)] as number;
        expect(index.remove(hash, row)).toBe(true);
        expect(index.remove(hash, row)).toBe(false);
        rows.delete(row);
        size--;
      }
      if (step % 1000 === 0) {
        expect(index.size).toBe(size);
        for (const [h, want] of model) expect(new Set(rowsOf(index, h))).toEqual(want);
      }
    }
    expect(rowsOf(index, 3)).toEqual([]);
  });
});

