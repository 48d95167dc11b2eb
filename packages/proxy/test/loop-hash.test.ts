/**
 * The loop-detection hash (RFC 3261 §16.6 item 8): two FNV-1a 32-bit lanes. The first lane is
 * plain FNV-1a (offset basis 0x811c9dc5), so the published FNV-1a test vectors pin it.
 */
import { describe, expect, it } from 'vitest';
import type { SipRequest } from '@sipts/message';
import { hashText, loopHash } from '../src/loop.js';

describe('hashText', () => {
  it('matches the published FNV-1a 32-bit vectors in its first lane', () => {
    expect(hashText('').slice(0, 8)).toBe('811c9dc5');
    expect(hashText('a').slice(0, 8)).toBe('e40c292c');
    expect(hashText('foobar').slice(0, 8)).toBe('bf9cf968');
    // a lane below 2^28 keeps its leading zero (FNV-1a of 'x2' is 0x0f630cef)
    expect(hashText('x2').slice(0, 8)).toBe('0f630cef');
  });

  it('gives 16 hex digits whose lanes differ, and differs for texts one character apart', () => {
    const h = hashText('sip:bob@127.0.0.1\nf1\ncall-1\n1');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(h.slice(0, 8)).not.toBe(h.slice(8));
    expect(hashText('sip:bob@127.0.0.1\nf1\ncall-1\n2')).not.toBe(h);
  });
});

describe('loopHash', () => {
  it('is the hash of the loop fields joined by newlines (Route URIs by commas), fed without the join', () => {
    const rq: SipRequest = {
      method: 'INVITE',
      uri: 'sip:bob@127.0.0.1',
      headers: {
        to: { uri: 'sip:bob@127.0.0.1', params: { tag: 't9' } },
        from: { uri: 'sip:alice@127.0.0.1', params: { tag: 'f1' } },
        'call-id': 'call-1',
        cseq: { seq: 7, method: 'INVITE' },
        route: [
          { uri: 'sip:127.0.0.1:5070;lr', params: {} },
          { uri: 'sip:127.0.0.2;lr', params: {} },
        ],
        'proxy-require': 'foo',
      },
      content: '',
    };
    expect(loopHash(rq)).toBe(hashText('sip:bob@127.0.0.1\nt9\nf1\ncall-1\n7\nsip:127.0.0.1:5070;lr,sip:127.0.0.2;lr\nfoo\n'));
    const bare: SipRequest = { method: 'OPTIONS', uri: 'sip:127.0.0.1', headers: {}, content: '' };
    expect(loopHash(bare)).toBe(hashText('sip:127.0.0.1\n\n\n\n\n\n\n'));
  });
});
