import { describe, expect, it } from 'vitest';
import { parseMessage, reasonPhrase, type SipRequest } from '@sipts/message';
import { synthesize } from '../src/synthesize.js';

const invite = parseMessage(
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-syn1\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: syn1@127.0.0.1\r\nCSeq: 1 INVITE\r\n' +
    'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
) as SipRequest;

describe('synthesize', () => {
  it.each([408, 430, 487, 503] as const)('gives %i the reason phrase of the message package’s one table', (status) => {
    const rs = synthesize(invite, status);
    expect(rs.status).toBe(status);
    expect(rs.reason).toBe(reasonPhrase(status));
    expect(rs.reason).not.toBe('');
  });

  it('copies the request’s own top Via and adds a To tag where the request had none (RFC 3261 §8.2.6.2)', () => {
    const rs = synthesize(invite, 408);
    expect(rs.headers.via?.[0]?.params.branch).toBe('z9hG4bK-syn1');
    expect(typeof rs.headers.to?.params.tag).toBe('string');
  });
});
