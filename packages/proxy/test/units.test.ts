/** Table tests of the pure parts: best-response selection, loop branches, validation, fork groups. */
import { makeResponse, type SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { chooseBest, validateRequest } from '../src/index.js';
import { forkGroups } from '../src/context.js';
import { loopHash, loopPart, proxyBranch } from '../src/loop.js';

const rq: SipRequest = {
  method: 'INVITE',
  uri: 'sip:bob@example.com',
  headers: {
    via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: 'z9hG4bKabc' } }],
    to: { uri: 'sip:bob@example.com', params: {} },
    from: { uri: 'sip:alice@example.com', params: { tag: 'f1' } },
    'call-id': 'c1',
    cseq: { seq: 1, method: 'INVITE' },
    'max-forwards': '70',
  },
  content: '',
};

describe('chooseBest (RFC 3261 §16.7)', () => {
  it.each([
    [[486, 404], 486],
    [[486, 302], 302],
    [[500, 486], 486],
    [[486, 603, 302], 603],
    [[503], 500],
    [[404, 407], 407],
  ])('%j → %i', (statuses, expected) => {
    expect(chooseBest(statuses.map((s) => makeResponse(rq, s)))?.status).toBe(expected);
  });
  it('returns undefined for no response', () => {
    expect(chooseBest([])).toBeUndefined();
  });
});

describe('loop branches (§16.6 item 8)', () => {
  it('carry the loop hash; stateless ones are deterministic', () => {
    const loop = loopHash(rq);
    expect(loopPart(proxyBranch(loop))).toBe(loop);
    expect(proxyBranch(loop, rq)).toBe(proxyBranch(loop, rq));
    expect(proxyBranch(loop)).not.toBe(proxyBranch(loop));
    expect(loopPart('z9hG4bKabc')).toBeUndefined();
    expect(loopHash({ ...rq, uri: 'sip:carol@example.com' })).not.toBe(loop);
  });
});

describe('validateRequest (§16.3)', () => {
  const ctx = { loop: loopHash(rq), isOwnVia: () => false, supported: new Set<string>(), answerOptions: true };
  it('passes a good request and rejects Max-Forwards 0 and unknown Proxy-Require', () => {
    expect(validateRequest(rq, ctx)).toBeUndefined();
    expect(validateRequest({ ...rq, headers: { ...rq.headers, 'max-forwards': '0' } }, ctx)?.status).toBe(483);
    expect(validateRequest({ ...rq, headers: { ...rq.headers, 'proxy-require': 'x' } }, ctx)).toEqual({ status: 420, headers: { unsupported: 'x' } });
  });

  it('counts spirals (our Vias with another loop hash) and answers 482 past maxSpirals', () => {
    const ours = (n: number): SipRequest['headers']['via'] =>
      Array.from({ length: n }, (_, i) => ({ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: proxyBranch(String(i).padStart(16, '0')) } }));
    const spiral = (n: number): SipRequest => ({ ...rq, headers: { ...rq.headers, via: [...(rq.headers.via ?? []), ...(ours(n) ?? [])] } });
    const own = { ...ctx, isOwnVia: (v: { host: string }) => v.host === '127.0.0.1' };
    expect(validateRequest(spiral(3), own)).toBeUndefined();
    expect(validateRequest(spiral(1), { ...own, maxSpirals: 1 })).toBeUndefined();
    expect(validateRequest(spiral(2), { ...own, maxSpirals: 1 })?.status).toBe(482);
    expect(validateRequest(spiral(0), { ...own, maxSpirals: 0 })).toBeUndefined();
  });
});

describe('forkGroups', () => {
  it('orders sequential targets by descending q, keeping the given order on ties', () => {
    expect(forkGroups([{ uri: 'a', q: 0.5 }, { uri: 'b' }, { uri: 'c', q: 0.9 }], 'sequential').map((g) => g[0]?.uri)).toEqual(['b', 'c', 'a']);
    expect(forkGroups([{ uri: 'a' }, { uri: 'b' }], 'parallel')).toHaveLength(1);
  });
});
