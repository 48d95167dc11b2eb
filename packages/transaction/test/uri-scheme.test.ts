/**
 * The Request-URI scheme check (RFC 3261 §8.2.2.1): the scheme before the first colon, compared
 * case-insensitively with the handled ones (§19.1.4), on the URI text and on a parsed URI.
 */
import { parseUri, type SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { DEFAULT_URI_SCHEMES, isSchemeHandled, uriSchemeOf } from '../src/uri-scheme.js';

function rq(uri: SipRequest['uri']): SipRequest {
  return { method: 'OPTIONS', uri, version: '2.0', headers: {} };
}

describe('isSchemeHandled', () => {
  it.each([
    ['sip:bob@127.0.0.1', true],
    ['SIP:bob@127.0.0.1', true],
    ['Sips:bob@127.0.0.1', true],
    ['tel:+15551234', true],
    ['nobodyKnowsThisScheme:bob', false],
    ['sipx:bob@127.0.0.1', false],
    ['si:bob', false],
    ['sip', false],
    ['', false],
    ['s1p:bob', false],
  ])('%s → %s with the default schemes', (uri, handled) => {
    expect(isSchemeHandled(rq(uri), DEFAULT_URI_SCHEMES)).toBe(handled);
  });

  it('compares a configured scheme case-insensitively, and "any" lets everything through', () => {
    expect(isSchemeHandled(rq('im:alice@127.0.0.1'), ['IM'])).toBe(true);
    expect(isSchemeHandled(rq('IM:alice@127.0.0.1'), ['im'])).toBe(true);
    expect(isSchemeHandled(rq('sip:alice@127.0.0.1'), ['im'])).toBe(false);
    expect(isSchemeHandled(rq('whatever:x'), 'any')).toBe(true);
  });

  it('reads the scheme of a parsed URI', () => {
    const uri = parseUri('sip:bob@127.0.0.1');
    if (uri === undefined) throw new Error('the test URI did not parse');
    expect(isSchemeHandled(rq(uri), ['SIP'])).toBe(true);
    expect(isSchemeHandled(rq(uri), ['tel'])).toBe(false);
    expect(uriSchemeOf(rq('Tel:+1'))).toBe('tel');
  });
});
