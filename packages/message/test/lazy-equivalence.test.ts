/**
 * The lazy model (the default parse) looks like today's plain data (the strict parse, every header
 * parsed up front) to every way users inspect, copy and compare messages. Run on the torture corpus
 * and the everyday messages, in Node and in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { headerFaults, parseMessage, type Headers, type Parsed, type SipMessage } from '../src/index.js';
import { EVERYDAY } from './everyday.js';
import { readFixture } from './read-fixture.js';

interface Case {
  file: string;
  name: string;
}

const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as Case[];
const enc = new TextEncoder();
const inputs: [string, Uint8Array][] = Object.entries(EVERYDAY).map(([name, text]) => [name, enc.encode(text)]);
for (const c of manifest) inputs.push([c.name, await readFixture(`torture/${c.file}`)]);

/** node:assert where it exists (Node); undefined in the browser. */
interface NodeAssert {
  deepStrictEqual: (a: unknown, b: unknown) => void;
  deepEqual: (a: unknown, b: unknown) => void;
}
const nodeAssert: NodeAssert | undefined =
  typeof window === 'undefined' ? ((await import(/* @vite-ignore */ ['node', 'assert'].join(':'))) as { default: NodeAssert }).default : undefined;

function strictParse(bytes: Uint8Array): Parsed<SipMessage> | undefined {
  try {
    return parseMessage(bytes, { strict: true });
  } catch {
    return undefined;
  }
}

/** Keys of `headers` whose property is still an accessor (a header not parsed yet). */
function lazyKeys(headers: Headers): string[] {
  return Object.keys(headers).filter((k) => Object.getOwnPropertyDescriptor(headers, k)?.get !== undefined);
}

const valid = inputs.filter(([, bytes]) => strictParse(bytes) !== undefined);

describe('the lazy model equals the eager model', () => {
  it('covers the everyday messages and the valid corpus, and some headers really are lazy', () => {
    expect(valid.length).toBeGreaterThanOrEqual(Object.keys(EVERYDAY).length + 30);
    const lazyCounts = valid.map(([, bytes]) => lazyKeys(parseMessage(bytes).headers).length);
    // The authentication headers wait for their first read; Contact, Route and the other name-addr
    // headers are parsed up front when they parse (cheaper than an accessor), deferred when they fail.
    expect(lazyCounts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(lazyKeys(parseMessage(enc.encode(EVERYDAY.refer ?? '')).headers)).toEqual([]);
  });

  for (const [name, bytes] of valid) {
    describe(name, () => {
      const eager = strictParse(bytes) as Parsed<SipMessage>;
      const fresh = (): Parsed<SipMessage> => parseMessage(bytes);

      it('Object.keys and for…in list the same keys in the same order', () => {
        const m = fresh();
        expect(Object.keys(m)).toEqual(Object.keys(eager));
        expect(Object.keys(m.headers)).toEqual(Object.keys(eager.headers));
        const seen: string[] = [];
        for (const k in m.headers) seen.push(k);
        expect(seen).toEqual(Object.keys(eager.headers));
      });

      it('JSON.stringify gives the same text', () => {
        expect(JSON.stringify(fresh())).toBe(JSON.stringify(eager));
      });

      it('structuredClone gives a plain copy equal to the eager message', () => {
        const clone = structuredClone(fresh());
        expect(lazyKeys(clone.headers)).toEqual([]);
        expect(clone).toStrictEqual(eager);
      });

      it('vitest toEqual and toStrictEqual hold both ways', () => {
        expect(fresh()).toStrictEqual(eager);
        expect(eager).toStrictEqual(fresh());
        expect(fresh()).toEqual(eager);
      });

      it('node:assert deepStrictEqual and deepEqual hold (Node only)', () => {
        if (nodeAssert === undefined) return;
        nodeAssert.deepStrictEqual(fresh(), eager);
        nodeAssert.deepStrictEqual(eager, fresh());
        nodeAssert.deepEqual(fresh(), eager);
      });

      it('spreading copies the values', () => {
        const copy = { ...fresh().headers };
        expect(lazyKeys(copy)).toEqual([]);
        expect(copy).toStrictEqual(eager.headers);
      });

      it('a header read once keeps its parsed value, equal to the eager one', () => {
        const m = fresh();
        for (const k of lazyKeys(m.headers)) {
          const first = m.headers[k];
          expect(first).toStrictEqual(eager.headers[k]);
          expect(m.headers[k]).toBe(first); // parsed once: the same object on every read
          const d = Object.getOwnPropertyDescriptor(m.headers, k);
          expect([d?.enumerable, d?.configurable]).toEqual([true, true]);
        }
        expect(m).toStrictEqual(eager);
        expect(headerFaults(m)).toEqual([]);
      });

      it('a change made through a value read from a lazy header stays', () => {
        const m = fresh();
        for (const k of lazyKeys(m.headers)) {
          const v = m.headers[k];
          if (Array.isArray(v) && v.length > 0) {
            v.push(v[0] as never);
            expect(m.headers[k]).toHaveLength((eager.headers[k] as unknown[]).length + 1);
          }
        }
      });

      it('assigning and deleting a header behave as on a plain object', () => {
        const m = fresh();
        const keys = Object.keys(m.headers);
        for (const k of lazyKeys(m.headers)) m.headers[k] = 'assigned';
        expect(Object.keys(m.headers)).toEqual(keys);
        expect(lazyKeys(m.headers)).toEqual([]); // an assigned header is an ordinary data property
        for (const k of keys) {
          const expected = Object.getOwnPropertyDescriptor(eager.headers, k)?.value as unknown;
          const lazy = lazyKeys(parseMessage(bytes).headers).includes(k);
          expect(m.headers[k]).toStrictEqual(lazy ? 'assigned' : expected);
        }
        for (const k of lazyKeys(parseMessage(bytes).headers)) {
          const again = fresh();
          expect(Reflect.deleteProperty(again.headers, k)).toBe(true);
          expect(k in again.headers).toBe(false);
          expect(Object.keys(again.headers)).toEqual(keys.filter((x) => x !== k));
        }
      });
    });
  }
});
