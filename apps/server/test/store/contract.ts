import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocationStore } from '../../src/store/index.js';
import { bareBinding, binding, NOW } from './fixtures.js';

/** A backing store set up for one test: every `open()` reaches the same data (file, prefix). */
export interface StoreHarness {
  open(): Promise<LocationStore>;
  dispose(): Promise<void>;
}

/** What a store kind can do beyond the common contract. */
export interface StoreKind {
  /** Two stores opened on one harness see each other's writes (the cluster case). */
  shared: boolean;
  /** Data survives `close()` and a new `open()`. */
  persistent: boolean;
  setup(): Promise<StoreHarness>;
}

const ALICE = 'sip:alice@example.com';
const BOB = 'sip:bob@example.com';

/**
 * The LocationStore contract (apps/server/src/store/types.ts), run against every store kind.
 */
export function storeContract(name: string, kind: StoreKind): void {
  describe(`${name} store contract`, () => {
    let harness: StoreHarness;
    let opened: LocationStore[];
    let store: LocationStore;

    const open = async (): Promise<LocationStore> => {
      const s = await harness.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      harness = await kind.setup();
      opened = [];
      store = await open();
    });

    afterEach(async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      await harness.dispose();
    });

    it('stores a binding and looks it up exactly', async () => {
      const b = binding(ALICE, 'k1');
      const after = await store.update(ALICE, { put: [b], remove: [] }, NOW);
      expect(after).toStrictEqual([b]);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([b]);
      expect(await store.lookup(BOB, NOW)).toStrictEqual([]);
    });

    it('keeps absent optional fields absent', async () => {
      const b = bareBinding(ALICE, 'sip:alice@192.0.2.9');
      await store.update(ALICE, { put: [b], remove: [] }, NOW);
      const [got] = await store.lookup(ALICE, NOW);
      expect(got).toStrictEqual(b);
      expect(Object.keys(got!).sort()).toStrictEqual(Object.keys(b).sort());
    });

    it('orders by q descending, then by key', async () => {
      const put = [
        binding(ALICE, 'low', { q: 0.1 }),
        binding(ALICE, 'top', { q: 1 }),
        binding(ALICE, 'mid-b', { q: 0.5 }),
        binding(ALICE, 'mid-a', { q: 0.5 }),
        binding(ALICE, 'zero', { q: 0 }),
      ];
      const after = await store.update(ALICE, { put, remove: [] }, NOW);
      const keys = ['top', 'mid-a', 'mid-b', 'low', 'zero'];
      expect(after.map((b) => b.key)).toStrictEqual(keys);
      expect((await store.lookup(ALICE, NOW)).map((b) => b.key)).toStrictEqual(keys);
      expect((await store.lookup(ALICE, NOW)).map((b) => b.q)).toStrictEqual([1, 0.5, 0.5, 0.1, 0]);
    });

    it('update replaces a binding with the same key', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k1'), binding(ALICE, 'k2')], remove: [] }, NOW);
      const newer = binding(ALICE, 'k1', { contact: 'sip:new@192.0.2.2', cseq: 2, q: 0.7, expiresAt: NOW + 10_000 });
      const after = await store.update(ALICE, { put: [newer], remove: [] }, NOW + 1);
      expect(after).toStrictEqual([binding(ALICE, 'k2'), newer]);
      expect(await store.lookup(ALICE, NOW + 1)).toStrictEqual([binding(ALICE, 'k2'), newer]);
    });

    it('update removes by key, removals before puts', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k1'), binding(ALICE, 'k2'), binding(ALICE, 'k3')], remove: [] }, NOW);
      const k3 = binding(ALICE, 'k3', { cseq: 9 });
      const after = await store.update(ALICE, { put: [k3], remove: ['k1', 'k3', 'missing'] }, NOW);
      expect(after).toStrictEqual([binding(ALICE, 'k2'), k3]);
      const gone = await store.update(ALICE, { put: [], remove: ['k2', 'k3'] }, NOW);
      expect(gone).toStrictEqual([]);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([]);
      expect(await store.count(NOW)).toBe(0);
    });

    it('a put that has already expired deletes its key', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k1'), binding(ALICE, 'k2')], remove: [] }, NOW);
      const after = await store.update(ALICE, { put: [binding(ALICE, 'k1', { expiresAt: NOW })], remove: [] }, NOW);
      expect(after.map((b) => b.key)).toStrictEqual(['k2']);
      expect(await store.purgeExpired(NOW + 3600_000 - 1)).toBe(0);
    });

    it('removeAll removes every binding of one AOR only', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k1'), binding(ALICE, 'k2')], remove: [] }, NOW);
      await store.update(BOB, { put: [binding(BOB, 'k1')], remove: [] }, NOW);
      await store.removeAll(ALICE);
      await store.removeAll('sip:nobody@example.com');
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([]);
      expect(await store.lookup(BOB, NOW)).toStrictEqual([binding(BOB, 'k1')]);
      expect(await store.count(NOW)).toBe(1);
    });

    it('hides expired bindings, counts live ones, purges and counts the dead', async () => {
      const short = binding(ALICE, 'short', { expiresAt: NOW + 1000 });
      const long = binding(ALICE, 'long', { expiresAt: NOW + 5000 });
      await store.update(ALICE, { put: [short, long], remove: [] }, NOW);
      await store.update(BOB, { put: [binding(BOB, 'b', { expiresAt: NOW + 1000 })], remove: [] }, NOW);
      expect(await store.count(NOW)).toBe(3);
      expect((await store.lookup(ALICE, NOW + 999)).map((b) => b.key)).toStrictEqual(['long', 'short']);
      expect((await store.lookup(ALICE, NOW + 1000)).map((b) => b.key)).toStrictEqual(['long']);
      expect(await store.lookup(BOB, NOW + 1000)).toStrictEqual([]);
      expect(await store.count(NOW + 1000)).toBe(1);
      expect(await store.count(NOW + 5000)).toBe(0);
      // Not purged yet: an earlier clock still sees them.
      expect(await store.count(NOW)).toBe(3);
      expect(await store.purgeExpired(NOW + 1000)).toBe(2);
      expect(await store.purgeExpired(NOW + 1000)).toBe(0);
      expect(await store.count(NOW)).toBe(1);
      expect(await store.lookup(BOB, NOW)).toStrictEqual([]);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([long]);
      expect(await store.purgeExpired(NOW + 5000)).toBe(1);
      expect(await store.count(NOW)).toBe(0);
    });

    it('a re-registration moves the expiry', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k', { expiresAt: NOW + 1000 })], remove: [] }, NOW);
      const later = binding(ALICE, 'k', { expiresAt: NOW + 9000, cseq: 2 });
      await store.update(ALICE, { put: [later], remove: [] }, NOW + 500);
      expect(await store.purgeExpired(NOW + 2000)).toBe(0);
      expect(await store.lookup(ALICE, NOW + 2000)).toStrictEqual([later]);
      expect(await store.count(NOW + 2000)).toBe(1);
    });

    it('removeFlow removes only the bindings of that owner and flow', async () => {
      const flow = (id: string) => ({ id, protocol: 'WS' as const, address: '192.0.2.5', port: 40000 });
      await store.update(ALICE, {
        put: [
          binding(ALICE, 'a1', { owner: 'node-a', flow: flow('f1') }),
          binding(ALICE, 'a2', { owner: 'node-a', flow: flow('f2') }),
          binding(ALICE, 'b1', { owner: 'node-b', flow: flow('f1') }),
          bareBinding(ALICE, 'none', { owner: 'node-a' }),
        ],
        remove: [],
      }, NOW);
      await store.update(BOB, { put: [binding(BOB, 'a1', { owner: 'node-a', flow: flow('f1') })], remove: [] }, NOW);
      expect(await store.removeFlow('node-a', 'f1')).toBe(2);
      expect(await store.removeFlow('node-a', 'f1')).toBe(0);
      expect(await store.removeFlow('node-c', 'f2')).toBe(0);
      expect((await store.lookup(ALICE, NOW)).map((b) => b.key)).toStrictEqual(['a2', 'b1', 'none']);
      expect(await store.lookup(BOB, NOW)).toStrictEqual([]);
      expect(await store.count(NOW)).toBe(3);
    });

    it('removeFlow follows a binding that moved to another flow', async () => {
      const onF1 = binding(ALICE, 'k', { flow: { id: 'f1', protocol: 'TCP', address: '192.0.2.1', port: 1 } });
      const onF2 = binding(ALICE, 'k', { flow: { id: 'f2', protocol: 'TCP', address: '192.0.2.1', port: 2 }, cseq: 2 });
      await store.update(ALICE, { put: [onF1], remove: [] }, NOW);
      await store.update(ALICE, { put: [onF2], remove: [] }, NOW);
      expect(await store.removeFlow('node-a', 'f1')).toBe(0);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([onF2]);
      expect(await store.removeFlow('node-a', 'f2')).toBe(1);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([]);
    });

    it('keeps AORs apart', async () => {
      const aors = Array.from({ length: 5 }, (_, i) => `sip:user${i}@example.com`);
      for (const [i, aor] of aors.entries()) {
        const put = Array.from({ length: i + 1 }, (_, j) => binding(aor, `k${j}`, { cseq: i }));
        await store.update(aor, { put, remove: [] }, NOW);
      }
      for (const [i, aor] of aors.entries()) {
        const got = await store.lookup(aor, NOW);
        expect(got).toHaveLength(i + 1);
        expect(got.every((b) => b.aor === aor && b.cseq === i)).toBe(true);
      }
      expect(await store.count(NOW)).toBe(15);
      await store.update(aors[2]!, { put: [], remove: ['k0'] }, NOW);
      expect(await store.lookup(aors[1]!, NOW)).toHaveLength(2);
      expect(await store.lookup(aors[3]!, NOW)).toHaveLength(4);
      expect(await store.count(NOW)).toBe(14);
    });

    it('stores hostile values exactly', async () => {
      const aor = 'sip:"quo\'te":x\\y@例え.jp';
      const big = `sip:x@h;p=${'v'.repeat(10 * 1024)}`;
      const odd = [
        'sip:"a":b:c@d', "it's", 'key with\nnewline', 'ключ🔑', '', ':::', '{"json":true}', '%00\\0', 'a'.repeat(2000),
      ];
      const put = odd.map((key, i) =>
        binding(aor, key, {
          contact: i === 0 ? big : `<${key}>`,
          callId: key,
          path: [key, big],
          owner: `own"${key}`,
          source: key,
          flow: { id: `flow:${key}`, protocol: 'WSS', address: '::1', port: 443 },
          contactParams: { [key]: key, 'x"y': null, '🔑': 'ключ' },
          instanceId: key,
        }),
      );
      await store.update(aor, { put, remove: [] }, NOW);
      const got = await store.lookup(aor, NOW);
      expect(got).toHaveLength(odd.length);
      const byKey = new Map(got.map((b) => [b.key, b]));
      for (const b of put) expect(byKey.get(b.key)).toStrictEqual(b);
      expect(await store.removeFlow(`own"${odd[1]!}`, `flow:${odd[1]!}`)).toBe(1);
      await store.update(aor, { put: [], remove: [odd[3]!] }, NOW);
      expect((await store.lookup(aor, NOW)).map((b) => b.key).sort()).toStrictEqual(
        odd.filter((_, i) => i !== 1 && i !== 3).sort(),
      );
    });

    it('rejects a binding filed under another AOR', async () => {
      await expect(store.update(ALICE, { put: [binding(BOB, 'k')], remove: [] }, NOW)).rejects.toThrow(/filed under/);
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([]);
      expect(await store.lookup(BOB, NOW)).toStrictEqual([]);
    });

    it('hands out copies', async () => {
      await store.update(ALICE, { put: [binding(ALICE, 'k')], remove: [] }, NOW);
      const [got] = await store.lookup(ALICE, NOW);
      got!.path.push('mutated');
      got!.contact = 'mutated';
      expect(await store.lookup(ALICE, NOW)).toStrictEqual([binding(ALICE, 'k')]);
    });

    it('rejects calls after close', async () => {
      await store.close();
      await expect(store.lookup(ALICE, NOW)).rejects.toThrow();
      await expect(store.update(ALICE, { put: [binding(ALICE, 'k')], remove: [] }, NOW)).rejects.toThrow();
      await expect(store.count(NOW)).rejects.toThrow();
    });

    it.runIf(kind.shared)('two instances see each other\'s writes', async () => {
      const other = await open();
      await store.update(ALICE, { put: [binding(ALICE, 'from-1', { owner: 'node-1' })], remove: [] }, NOW);
      await other.update(ALICE, { put: [binding(ALICE, 'from-2', { owner: 'node-2', q: 0.5 })], remove: [] }, NOW);
      const both = ['from-1', 'from-2'];
      expect((await store.lookup(ALICE, NOW)).map((b) => b.key)).toStrictEqual(both);
      expect((await other.lookup(ALICE, NOW)).map((b) => b.key)).toStrictEqual(both);
      expect(await other.count(NOW)).toBe(2);
      expect(await other.removeFlow('node-1', 'conn-1')).toBe(1);
      expect((await store.lookup(ALICE, NOW)).map((b) => b.key)).toStrictEqual(['from-2']);
      await store.removeAll(ALICE);
      expect(await other.lookup(ALICE, NOW)).toStrictEqual([]);
    });

    it('concurrent updates of one AOR lose nothing', async () => {
      const other = kind.shared ? await open() : store;
      const writes = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? store : other).update(ALICE, { put: [binding(ALICE, `k${String(i).padStart(2, '0')}`)], remove: [] }, NOW),
      );
      await Promise.all(writes);
      const got = await store.lookup(ALICE, NOW);
      expect(got.map((b) => b.key)).toStrictEqual(Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`));
      expect(await other.count(NOW)).toBe(40);
    });

    it.runIf(kind.persistent)('keeps registrations across close and reopen', async () => {
      const b = binding(ALICE, 'k1');
      const bare = bareBinding(BOB, 'k2');
      await store.update(ALICE, { put: [b], remove: [] }, NOW);
      await store.update(BOB, { put: [bare], remove: [] }, NOW);
      await store.close();
      const again = await open();
      expect(await again.lookup(ALICE, NOW)).toStrictEqual([b]);
      expect(await again.lookup(BOB, NOW)).toStrictEqual([bare]);
      expect(await again.count(NOW)).toBe(2);
      expect(await again.removeFlow('node-a', 'conn-1')).toBe(1);
    });
  });
}
