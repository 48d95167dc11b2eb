/**
 * Every message of the RFC 4475 / RFC 5118 torture corpus, run as the manifest says.
 */
import { describe, expect, it } from 'vitest';
import { SipParseError, parseMessage, serializeMessage, type Parsed, type SipMessage } from '../src/index.js';
import { readFixture } from './read-fixture.js';
import { TORTURE } from './torture-table.js';

interface Case {
  file: string;
  name: string;
  expect: 'valid' | 'invalid' | 'valid-but-semantically-bad';
  sha256: string;
  also_acceptable?: string;
  facts?: { method?: string; request_uri?: string; status?: number; reason?: string; via_count: number; body_octets: number };
}

const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as Case[];

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function bodyOctets(m: Parsed<SipMessage>): number {
  return typeof m.content === 'string' ? new TextEncoder().encode(m.content).length : m.content.length;
}

function catchParse(bytes: Uint8Array): unknown {
  try {
    parseMessage(bytes, { strict: true });
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('torture corpus (RFC 4475, RFC 5118)', () => {
  it('has all 61 messages, each with an outcome in the table', () => {
    expect(manifest).toHaveLength(61);
    expect(Object.keys(TORTURE).sort()).toEqual(manifest.map((c) => c.name).sort());
  });

  for (const c of manifest) {
    const expected = TORTURE[c.name];
    it(`${c.name} (${c.expect}): ${expected?.outcome === 'reject' ? `rejected as ${expected.code}` : 'parsed'}`, async () => {
      const bytes = await readFixture(`torture/${c.file}`);
      expect(await sha256(bytes)).toBe(c.sha256);
      if (expected === undefined) throw new Error(`no table entry for ${c.name}`);

      if (c.expect === 'invalid' || expected.outcome === 'reject') {
        if (c.expect !== 'invalid') expect(c.also_acceptable, 'rejecting a valid message needs also_acceptable').toBeDefined();
        if (expected.outcome !== 'reject') throw new Error('an invalid message must be rejected');
        const error = catchParse(bytes);
        expect(error).toBeInstanceOf(SipParseError);
        const e = error as SipParseError;
        expect(e.code).toBe(expected.code);
        expect(e.status).toBe(expected.status);
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(bytes.length);
        return;
      }

      const m = parseMessage(bytes);
      const facts = c.facts;
      if (facts === undefined) throw new Error('a parsed case needs facts');
      if (facts.method !== undefined) {
        expect(m.method).toBe(facts.method);
        expect(m.uri).toBe(facts.request_uri);
      } else {
        expect(m.status).toBe(facts.status);
        expect(m.reason).toBe(facts.reason);
      }
      expect(m.headers.via ?? []).toHaveLength(facts.via_count);
      expect(bodyOctets(m)).toBe(facts.body_octets);

      // Serialize and parse again: the same message (Content-Length is added where it was absent).
      const again = parseMessage(serializeMessage(m));
      const expectedHeaders = { ...m.headers, 'content-length': bodyOctets(m) };
      expect(again).toEqual({ ...m, headers: expectedHeaders });
    });
  }

  it('baddn with its missing empty line added fails for the display name', async () => {
    const bytes = await readFixture('torture/rfc4475/baddn.sip');
    const fixed = new Uint8Array(bytes.length + 2);
    fixed.set(bytes);
    fixed.set([13, 10], bytes.length);
    const e = catchParse(fixed);
    expect(e).toBeInstanceOf(SipParseError);
    expect((e as SipParseError).code).toBe('invalid-display-name');
  });

  it('insuf parses without Call-ID, From and To (the transaction layer answers 400)', async () => {
    const m = parseMessage(await readFixture('torture/rfc4475/insuf.sip'));
    expect(m.headers['call-id']).toBeUndefined();
    expect(m.headers.from).toBeUndefined();
    expect(m.headers.to).toBeUndefined();
  });
});
