/**
 * The scanners read the bytes behind the text being parsed (src/scan-source.ts): the registration
 * must never outlive a parse, and values unfolded during a parse are read from their own codes.
 */
import { describe, expect, it } from 'vitest';
import { headerFaults, parseMessage, parseNameAddr, parseVia, safeParseMessage } from '../src/index.js';

const enc = new TextEncoder();
const HEAD = 'OPTIONS sip:b@127.0.0.2 SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n';

describe('scanning the bytes of the text', () => {
  it('a header read after the parse does not see later changes to the input bytes', () => {
    const text = HEAD + 'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nAuthorization: Digest username="alice", realm="r"\r\nContact: <sip:a@127.0.0.1>, <sip:b@>\r\n\r\n';
    const bytes = enc.encode(text);
    const m = parseMessage(bytes);
    bytes.fill(0x20); // the caller reuses its receive buffer
    expect(m.headers.authorization?.[0]?.username).toBe('"alice"');
    // Contact was deferred by its fault: its first read parses the text kept, not the caller's bytes.
    expect(m.headers.contact).toBe('<sip:a@127.0.0.1>, <sip:b@>');
    expect(headerFaults(m).map((f) => [f.error.code, f.error.offset])).toEqual([['invalid-uri', text.lastIndexOf('sip:b@') + 6]]);
  });

  it('a failed parse leaves nothing registered: the next parse of another string reads its own text', () => {
    expect(safeParseMessage(HEAD + 'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@>\r\n\r\n').ok).toBe(false);
    expect(parseNameAddr('"A" <sip:a@127.0.0.1>;tag=x')).toEqual({ name: '"A"', uri: 'sip:a@127.0.0.1', params: { tag: 'x' } });
    expect(parseVia('SIP/2.0/TCP 127.0.0.3:5061;branch=z9hG4bK2')[0]?.port).toBe(5061);
  });

  it('folded Via, From and Contact values parse as their one-line forms', () => {
    const folded = parseMessage(HEAD + 'Via: SIP/2.0/UDP\r\n  127.0.0.1;branch=z9hG4bK1,\r\n SIP/2.0/TCP 127.0.0.2\r\nFrom: "A"\r\n <sip:a@127.0.0.1>;tag=1\r\nContact: <sip:a@127.0.0.1>;\r\n\texpires=60\r\n\r\n');
    const flat = parseMessage(HEAD + 'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1, SIP/2.0/TCP 127.0.0.2\r\nFrom: "A" <sip:a@127.0.0.1>;tag=1\r\nContact: <sip:a@127.0.0.1>; expires=60\r\n\r\n');
    expect(folded.headers.via).toEqual(flat.headers.via);
    expect(folded.headers.from).toEqual(flat.headers.from);
    expect(folded.headers.contact).toEqual(flat.headers.contact);
    expect(folded.headers.via).toHaveLength(2);
  });
});
