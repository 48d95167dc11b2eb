/**
 * Untouched headers are written back as the text that arrived; changed ones from the model
 * (RFC 3261 §16.6). parse(serialize(m)) equals m either way.
 */
import { describe, expect, it } from 'vitest';
import { copyMessage, parseMessage, serializeMessage, stringifyMessage, type NameAddr, type SipMessage } from '../src/index.js';
import { EVERYDAY } from './everyday.js';
import { readFixture } from './read-fixture.js';

const ODD = [
  'OPTIONS sip:bob@127.0.0.2 SIP/2.0',
  'v:   SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1',
  'f: <sip:a@127.0.0.1>;tag=1',
  't: <sip:bob@127.0.0.2>',
  'i: odd-1',
  'CSeq: 1 OPTIONS',
  'mAx-fOrWaRdS:    70',
  'm: sip:a@127.0.0.1',
  'subject:   folded',
  '\t value',
  'X-Empty-ish:  x ',
  'l:   0',
  '',
  '',
].join('\r\n');

/** The header lines of a serialized message (start line and empty line left out). */
function lines(text: string): string[] {
  return text.split('\r\n\r\n')[0]?.split('\r\n').slice(1) ?? [];
}

describe('raw passthrough', () => {
  it('writes untouched text, lazy and Content-Length lines byte for byte', () => {
    const out = lines(stringifyMessage(parseMessage(ODD)));
    expect(out).toEqual([
      'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1', // Via, From, To, CSeq: from the model
      'From: <sip:a@127.0.0.1>;tag=1',
      'To: <sip:bob@127.0.0.2>',
      'i: odd-1',
      'CSeq: 1 OPTIONS',
      'mAx-fOrWaRdS:    70',
      'm: sip:a@127.0.0.1', // parsed up front, unchanged: as it came
      'Subject: folded value', // folded: from the model
      'X-Empty-ish:  x ',
      'l:   0',
    ]);
  });

  it('writes a changed text header, a read lazy header and a new Content-Length from the model', () => {
    const m = parseMessage(ODD);
    m.headers['max-forwards'] = '69';
    (m.headers.contact?.[0] as NameAddr).params.expires = '0';
    m.content = 'abc';
    const out = lines(stringifyMessage(m));
    expect(out).toContain('Max-Forwards: 69');
    expect(out).toContain('Contact: <sip:a@127.0.0.1>;expires=0');
    expect(out).toContain('Content-Length: 3');
    expect(out).toContain('i: odd-1');
  });

  it('writes an assigned lazy header from the model, and leaves deleted ones out', () => {
    const m = parseMessage(ODD);
    m.headers.contact = [{ uri: 'sip:c@127.0.0.3', params: {} }];
    delete m.headers['x-empty-ish'];
    const out = lines(stringifyMessage(m));
    expect(out).toContain('Contact: <sip:c@127.0.0.3>');
    expect(out.join('\n')).not.toContain('X-Empty-ish');
  });

  it('a proxy-style change (new top Via, Max-Forwards) leaves every other line as it came', () => {
    const bytes = new TextEncoder().encode(EVERYDAY.refer ?? '');
    const m = parseMessage(bytes);
    m.headers.via?.unshift({ version: '2.0', protocol: 'UDP', host: '127.0.0.9', port: 5060, params: { branch: 'z9hG4bKp1' } });
    m.headers['max-forwards'] = '69';
    const out = lines(new TextDecoder().decode(serializeMessage(m)));
    expect(out.slice(0, 2)).toEqual(['Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKp1', 'Via: SIP/2.0/WS 127.0.0.11:80;branch=z9hG4bKrefer1']);
    for (const line of lines(EVERYDAY.refer ?? '').filter((l) => /^(Route|Path|Refer-To|m|User-Agent|X-Custom|l):/.test(l))) {
      expect(out).toContain(line);
    }
  });

  it('repeated text headers are written as their lines while untouched, joined once changed', () => {
    const m = parseMessage(EVERYDAY.refer ?? '');
    expect(lines(stringifyMessage(m)).filter((l) => l.startsWith('X-Custom'))).toEqual(['X-Custom: one', 'X-Custom: two']);
    m.headers['x-custom'] = 'three';
    expect(lines(stringifyMessage(m)).filter((l) => l.startsWith('X-Custom'))).toEqual(['X-Custom: three']);
  });

  it('a copy is written from the model in canonical form', () => {
    const out = lines(stringifyMessage(copyMessage(parseMessage(ODD))));
    expect(out).toContain('Max-Forwards: 70');
    expect(out).toContain('Contact: <sip:a@127.0.0.1>');
  });

  it('parse(serialize(m)) equals m on every everyday and corpus message, unread and read', async () => {
    const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as { file: string; name: string }[];
    const inputs: Uint8Array[] = Object.values(EVERYDAY).map((t) => new TextEncoder().encode(t));
    for (const c of manifest) inputs.push(await readFixture(`torture/${c.file}`));
    let checked = 0;
    for (const bytes of inputs) {
      let m: SipMessage;
      try {
        m = parseMessage(bytes, { strict: true });
      } catch {
        continue;
      }
      const unread = parseMessage(bytes);
      const bodyBytes = typeof m.content === 'string' ? new TextEncoder().encode(m.content).length : (m.content?.length ?? 0);
      const expected = { ...m, headers: { ...m.headers, 'content-length': bodyBytes } };
      expect(parseMessage(serializeMessage(unread))).toEqual(expected);
      expect(parseMessage(stringifyMessage(unread))).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(35);
  });

  it('writes the same bytes whether the lines come from the parser\'s record or from a scan of the text', async () => {
    // The parser records the lines of the section it parsed last; the serializer takes them from
    // there only for that message. Another parse in between makes it scan the text instead.
    const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as { file: string; name: string }[];
    const inputs: Uint8Array[] = [ODD, ...Object.values(EVERYDAY)].map((t) => new TextEncoder().encode(t));
    for (const c of manifest) inputs.push(await readFixture(`torture/${c.file}`));
    const other = new TextEncoder().encode(EVERYDAY.ok200 ?? '');
    const edits: ((m: SipMessage) => void)[] = [
      () => undefined,
      (m) => {
        m.headers['max-forwards'] = '69';
        m.headers.via?.unshift({ version: '2.0', protocol: 'UDP', host: '127.0.0.3', port: 5060, params: { branch: 'z9hG4bKx' } });
      },
      (m) => {
        // a key moved behind the others: the model's order is no longer the order of the lines
        const callId = m.headers['call-id'] ?? '';
        delete m.headers['call-id'];
        m.headers['call-id'] = callId;
      },
    ];
    let checked = 0;
    for (const bytes of inputs) {
      let probe: SipMessage;
      try {
        probe = parseMessage(bytes);
      } catch {
        continue;
      }
      if (probe.headers['call-id'] === undefined) continue;
      for (const edit of edits) {
        const recorded = parseMessage(bytes);
        edit(recorded);
        const fromRecord = stringifyMessage(recorded);
        const scanned = parseMessage(bytes);
        parseMessage(other);
        edit(scanned);
        expect(stringifyMessage(scanned)).toBe(fromRecord);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(90);
  });

  it('copies the lines of a header moved behind the others', () => {
    const m = parseMessage(ODD);
    const callId = m.headers['call-id'] ?? '';
    delete m.headers['call-id'];
    m.headers['call-id'] = callId;
    const out = lines(stringifyMessage(m));
    expect(out.at(-2)).toBe('l:   0');
    expect(out.at(-1)).toBe('i: odd-1');
  });
});
