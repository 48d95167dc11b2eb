import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '@sipts/test-peers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, createRedisStore, createSqliteStore, type Binding, type LocationStore } from '../../src/store/index.js';
import { NOW } from './fixtures.js';

/**
 * Model-based property: random sequences of operations give the same answers on the memory store
 * (the reference) and on SQLite and Redis.
 */

const AORS = ['sip:a@x', 'sip:"b":c@x', 'sip:ключ@例え.jp'];
const KEYS = ['k1', 'k2', '<urn:uuid:1>;1', 'a:b', '"q"', '', 'ключ🔑'];
const OWNERS = ['n1', 'n2'];
const FLOWS = ['f1', 'f2'];

type Op =
  | { op: 'update'; aor: number; put: { key: string; q: number; ttl: number; owner: string; flow: string | null; cseq: number }[]; remove: string[] }
  | { op: 'removeAll'; aor: number }
  | { op: 'removeFlow'; owner: string; flow: string }
  | { op: 'purge' }
  | { op: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('update' as const),
      aor: fc.nat({ max: AORS.length - 1 }),
      put: fc.array(
        fc.record({
          key: fc.constantFrom(...KEYS),
          q: fc.constantFrom(0, 0.25, 0.5, 1),
          ttl: fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -5, max: 100 })),
          owner: fc.constantFrom(...OWNERS),
          flow: fc.option(fc.constantFrom(...FLOWS)),
          cseq: fc.nat({ max: 1000 }),
        }),
        { maxLength: 4 },
      ),
      remove: fc.array(fc.constantFrom(...KEYS), { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeAll' as const), aor: fc.nat({ max: AORS.length - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('removeFlow' as const), owner: fc.constantFrom(...OWNERS), flow: fc.constantFrom(...FLOWS) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'purge' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
);

function toBinding(aor: string, p: Extract<Op, { op: 'update' }>['put'][number], now: number): Binding {
  const b: Binding = {
    aor,
    key: p.key,
    contact: `sip:${p.key}@192.0.2.1`,
    q: p.q,
    expiresAt: now + p.ttl,
    callId: `c-${p.key}`,
    cseq: p.cseq,
    path: [],
    owner: p.owner,
    source: 'UDP:192.0.2.1:5060',
  };
  if (p.flow !== null) b.flow = { id: p.flow, protocol: 'TCP', address: '192.0.2.1', port: 5000 };
  return b;
}

/** Applies one op to a store; returns what it answered plus every AOR's lookup. */
async function apply(store: LocationStore, op: Op, now: number): Promise<unknown> {
  let answer: unknown;
  switch (op.op) {
    case 'update': {
      const aor = AORS[op.aor]!;
      answer = await store.update(aor, { put: op.put.map((p) => toBinding(aor, p, now)), remove: op.remove }, now);
      break;
    }
    case 'removeAll':
      await store.removeAll(AORS[op.aor]!);
      break;
    case 'removeFlow':
      answer = await store.removeFlow(op.owner, op.flow);
      break;
    case 'purge':
      answer = await store.purgeExpired(now);
      break;
    case 'tick':
      break;
  }
  const lookups = await Promise.all(AORS.map((aor) => store.lookup(aor, now)));
  return { answer, lookups, count: await store.count(now) };
}

async function sameAsModel(open: () => LocationStore, ops: Op[]): Promise<void> {
  const model = createMemoryStore();
  const real = open();
  try {
    let now = NOW;
    for (const op of ops) {
      if (op.op === 'tick') now += op.ms;
      const expected = await apply(model, op, now);
      expect(await apply(real, op, now)).toStrictEqual(expected);
    }
  } finally {
    await real.close();
    await model.close();
  }
}

const opsArb = fc.array(opArb, { minLength: 1, maxLength: 25 });

describe('stores agree with the memory model', () => {
  let redis: RedisServer | undefined;
  let dir = '';

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sipts-model-'));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sqlite', async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, (ops) => sameAsModel(() => createSqliteStore({ file: join(dir, `${randomUUID()}.sqlite`) }), ops)),
      { numRuns: 60 },
    );
  });

  it('redis', async () => {
    const url = redis!.url;
    await fc.assert(
      fc.asyncProperty(opsArb, (ops) => sameAsModel(() => createRedisStore({ url, prefix: `m:${randomUUID()}:` }), ops)),
      { numRuns: 60 },
    );
  });
});
