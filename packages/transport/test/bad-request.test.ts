import { parseMessage, type SipResponse } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { badRequestFor } from '../src/bad-request.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

function answer(text: string, reason = 'bad header', status?: number): SipResponse | undefined {
  const out = badRequestFor(enc.encode(text), reason, status);
  return out === undefined ? undefined : (parseMessage(out) as SipResponse);
}

const GOOD_HEADERS =
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n' +
  'From: <sip:alice@example.com>;tag=f1\r\n' +
  'To: "Bob" <sip:bob@example.com>\r\n' +
  'Call-ID: call-1@example.com\r\n' +
  'CSeq: 7 OPTIONS\r\n';

describe('badRequestFor', () => {
  it('copies Via, From, To, Call-ID and CSeq and adds a To tag and a Warning', () => {
    const rs = answer('OPTIONS sip:bob@example.com SIP/2.0\r\n' + GOOD_HEADERS + 'Max-Forwards: nope\r\nContent-Length: 0\r\n\r\n', 'invalid Max-Forwards');
    expect(rs).toBeDefined();
    expect(rs!.status).toBe(400);
    expect(rs!.reason).toBe('Bad Request');
    expect(rs!.headers.via![0]!.params.branch).toBe('z9hG4bKa');
    expect(rs!.headers.from!.params.tag).toBe('f1');
    expect(rs!.headers.to!.name).toBe('"Bob"');
    expect(typeof rs!.headers.to!.params.tag).toBe('string');
    expect(rs!.headers['call-id']).toBe('call-1@example.com');
    expect(rs!.headers.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
    expect(rs!.headers.warning).toBe('399 - "invalid Max-Forwards"');
    expect(rs!.headers['max-forwards']).toBeUndefined();
    expect(rs!.headers['content-length']).toBe(0);
  });

  const table: { name: string; text: string; expectVias?: number; expectTag?: string; expectUndefined?: boolean }[] = [
    {
      name: 'compact names, odd case and spacing',
      text: 'INVITE sip:x SIP/2.0\r\nv : SIP/2.0/TCP h;branch=z9hG4bKb\r\nF:<sip:a@h>;tag=9\r\nt:\t<sip:b@h>\r\ni: abc\r\ncSeQ: 1 INVITE\r\n\r\n',
      expectVias: 1,
    },
    {
      name: 'several Via lines and a comma list keep their order',
      text: 'BYE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\nVIA: SIP/2.0/UDP c;branch=z9hG4bK3\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n',
      expectVias: 3,
    },
    {
      name: 'an existing To tag is kept',
      text: 'BYE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=keep\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n',
      expectVias: 1,
      expectTag: 'keep',
    },
    {
      name: 'bare LF line ends and junk lines in between',
      text: 'OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\n\x01\x02junk\n:::\nFrom: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: x\nCSeq: 1 OPTIONS\n\n',
      expectVias: 1,
    },
    {
      name: 'folded Via value',
      text: 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n ;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n',
      expectVias: 1,
    },
    { name: 'a response is never answered', text: 'SIP/2.0 200 OK\r\n' + GOOD_HEADERS + '\r\n', expectUndefined: true },
    { name: 'no Via: cannot be answered', text: 'OPTIONS sip:x SIP/2.0\r\nFrom: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n', expectUndefined: true },
    { name: 'an ACK is never answered', text: 'ACK sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nMax-Forwards: x\r\n\r\n', expectUndefined: true },
    { name: 'garbage', text: '\x00\x01\x02\xff binary rubbish\r\n\r\n', expectUndefined: true },
    { name: 'empty input', text: '', expectUndefined: true },
    { name: 'Via only after the body starts does not count', text: 'OPTIONS sip:x SIP/2.0\r\nFrom: <sip:a@h>\r\n\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n', expectUndefined: true },
  ];
  it.each(table)('$name', ({ text, expectVias, expectTag, expectUndefined }) => {
    const rs = answer(text);
    if (expectUndefined === true) {
      expect(rs).toBeUndefined();
      return;
    }
    expect(rs?.status).toBe(400);
    expect(rs!.headers.via).toHaveLength(expectVias!);
    expect(rs!.headers.to!.params.tag).toBeTruthy();
    if (expectTag !== undefined) expect(rs!.headers.to!.params.tag).toBe(expectTag);
  });

  it('sanitizes the reason and strips control characters from copied values', () => {
    const out = badRequestFor(enc.encode('OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\x07\r\nCall-ID: x\r\n\r\n'), 'bad "quote" \\ \r\n here');
    const text = dec.decode(out);
    expect(text).toContain('Warning: 399 - "bad \'quote\' \'    here"\r\n');
    expect(text).toContain('Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n');
    expect(text).not.toContain('\x07');
  });

  it('answers with another status when asked (505 for the version)', () => {
    expect(answer('OPTIONS sip:x SIP/3.0\r\n' + GOOD_HEADERS + '\r\n', 'unsupported version', 505)?.status).toBe(505);
  });

  it('copies at most one From, To, Call-ID and CSeq', () => {
    const rs = answer('OPTIONS sip:x SIP/2.0\r\n' + GOOD_HEADERS + 'Call-ID: second\r\n\r\n');
    expect(rs!.headers['call-id']).toBe('call-1@example.com');
  });
});
