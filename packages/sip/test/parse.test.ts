/**
 * `sip.parse` as forgiving as the classic one where only a datagram rule is at stake: a
 * Content-Length larger than the text gives the body that is there. Everything else stays strict.
 */
import { describe, expect, it } from 'vitest';
import * as sip from '../src/index.js';

const HEAD = ['INVITE sip:bob@biloxi.example.com SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds', 'To: <sip:bob@biloxi.example.com>', 'From: <sip:alice@atlanta.example.com>;tag=1928301774', 'Call-ID: a84b4c76e66710', 'CSeq: 314159 INVITE'];
const text = (contentLength: string, body: string, extra: string[] = []): string => [...HEAD, ...extra, contentLength, '', body].join('\r\n');

describe('sip.parse on text', () => {
  it('a Content-Length larger than the text: the body that is there, the declared length kept', () => {
    const m = sip.parse(text('Content-Length: 142', 'v=0\r\n'));
    expect(m?.content).toBe('v=0\r\n');
    expect(m?.headers['content-length']).toBe(142);
    expect(m?.headers.cseq).toEqual({ seq: 314159, method: 'INVITE' });
  });

  it('no body at all, compact form, and bytes in', () => {
    const m = sip.parse(new TextEncoder().encode(text('l: 30', '')));
    expect(m?.content).toBe('');
    expect(m?.headers['content-length']).toBe(30);
  });

  it('a Content-Length that fits is honoured (the rest of the text is not body)', () => {
    expect(sip.parse(text('Content-Length: 3', 'abcdef'))?.content).toBe('abc');
  });

  it('stays strict about everything else', () => {
    expect(sip.parse(text('Content-Length: 142', '', ['CSeq: two INVITE']))).toBeUndefined();
    expect(sip.parse(text('Content-Length: x', ''))).toBeUndefined();
    expect(sip.parse(text('Content-Length: 142', '', ['Content-Length: 150']))).toBeUndefined();
    expect(sip.parse('not sip at all\r\n\r\n')).toBeUndefined();
  });
});
