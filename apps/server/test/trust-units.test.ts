/**
 * Table tests of the pure parts of the trust rules: canonical hosts and identities (the one AOR
 * comparison of the registrar and the router), rate-limit source keys, dialog tokens, and the
 * bounds of the contact-to-flow memory (finding 5: 2 million Contacts on one connection grew the
 * heap by 143 MB before issue 16).
 */
import type { SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { canonicalHost, LocalDomains } from '../src/domains.js';
import { createFlowTable } from '../src/flows.js';
import { createRateLimiter, sourceKey } from '../src/rate-limit.js';
import { createDialogTokens } from '../src/routing/dialog-token.js';

const domains = new LocalDomains(['localhost', '127.0.0.1'], () => false);

describe('canonicalHost', () => {
  it.each([
    ['LOCALHOST', 'localhost'],
    ['localhost.', 'localhost'],
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['[0:0::1]', '::1'],
    ['Example.ORG.', 'example.org'],
    ['1.2.3.4', '1.2.3.4'],
  ])('%s → %s', (host, canonical) => {
    expect(canonicalHost(host)).toBe(canonical);
  });
});

describe('LocalDomains: one AOR comparison for the registrar and the router', () => {
  it.each(['sip:alice@localhost', 'sip:alice@localhost.', 'sip:alice@127.1', 'sip:alice@[::ffff:127.0.0.1]', 'sip:%61lice@LOCALHOST', 'sips:alice@localhost:5061'])('%s is alice', (uri) => {
    expect(domains.aorOf(uri)).toEqual({ aor: 'sip:alice@localhost', user: 'alice' });
  });
  it.each(['sip:alice@example.org', 'sip:alice@127.0.0.2', 'sip:alice@localhost.example', 'tel:+1555'])('%s is not local', (uri) => {
    expect(domains.aorOf(uri)).toBeUndefined();
  });
  it('gives foreign identities a canonical user@host', () => {
    expect(domains.identityOf('sip:X@Example.org.:5070;transport=tcp')).toBe('X@example.org');
    expect(domains.identityOf('sip:alice@127.1')).toBe('sip:alice@localhost');
  });
});

describe('sourceKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (address, key) => {
    expect(sourceKey(address)).toBe(key);
  });
});

function request(from: string, fromTag: string, to: string, toTag: string, options: { callId?: string; uri?: string; contact?: string } = {}): SipRequest {
  return {
    method: 'BYE',
    uri: options.uri ?? 'sip:x@127.0.0.1',
    headers: {
      from: { uri: from, params: { tag: fromTag } },
      to: { uri: to, params: toTag === '' ? {} : { tag: toTag } },
      'call-id': options.callId ?? 'c1',
      ...(options.contact !== undefined ? { contact: [{ uri: options.contact, params: {} }] } : {}),
    },
    content: '',
  };
}

describe('dialog tokens', () => {
  const tokens = createDialogTokens({ secret: 'a test secret of 16+', identityOf: (u) => domains.identityOf(u), isLocal: (u) => domains.aorOf(u) !== undefined });
  // alice (local) calls bob at example.org: the hosts are not bound.
  const token = tokens.issue(request('sip:alice@localhost', 'A', 'sip:bob@example.org', '', { uri: 'sip:bob@192.0.2.1' })) ?? '';

  it('verifies requests of a local caller’s dialog in both directions, whatever the spelling of a local AOR or the target', () => {
    expect(tokens.verify(request('sip:alice@localhost', 'A', 'sip:bob@example.org', 'B', { uri: 'sip:bob@192.0.2.9' }), token)).toBe(true);
    expect(tokens.verify(request('sip:bob@example.org', 'B', 'sip:alice@127.1', 'A'), token)).toBe(true);
  });
  it.each([
    ['another Call-ID', request('sip:alice@localhost', 'A', 'sip:bob@example.org', 'B', { callId: 'c2' })],
    ['another From tag', request('sip:alice@localhost', 'X', 'sip:bob@example.org', 'B')],
    ['another caller', request('sip:carol@localhost', 'A', 'sip:bob@example.org', 'B')],
    ['another callee', request('sip:alice@localhost', 'A', 'sip:900@127.0.0.2', 'B')],
  ])('refuses %s', (_what, rq) => {
    expect(tokens.verify(rq, token)).toBe(false);
  });
  it('binds a stranger’s dialog to the two parties’ hosts, each in its direction', () => {
    const t = tokens.issue(request('sip:x@example.org', 'X', 'sip:bob@localhost', '', { uri: 'sip:bob@127.0.0.1:5070', contact: 'sip:x@192.0.2.5:5062' })) ?? '';
    expect(tokens.verify(request('sip:x@example.org', 'X', 'sip:bob@localhost', 'B', { uri: 'sip:bob@127.0.0.1:5070;transport=udp' }), t)).toBe(true);
    expect(tokens.verify(request('sip:x@example.org', 'X', 'sip:bob@localhost', 'B', { uri: 'sip:900@127.0.0.2:5070' }), t)).toBe(false);
    expect(tokens.verify(request('sip:bob@localhost', 'B', 'sip:x@example.org', 'X', { uri: 'sip:x@192.0.2.5:5062' }), t)).toBe(true);
    expect(tokens.verify(request('sip:bob@localhost', 'B', 'sip:x@example.org', 'X', { uri: 'sip:900@127.0.0.2' }), t)).toBe(false);
  });
  it('is verified by another instance sharing the secret (stateless)', () => {
    const peer = createDialogTokens({ secret: 'a test secret of 16+', identityOf: (u) => domains.identityOf(u), isLocal: (u) => domains.aorOf(u) !== undefined });
    expect(peer.verify(request('sip:alice@localhost', 'A', 'sip:bob@example.org', 'B'), token)).toBe(true);
  });
  it('refuses a token of another secret, and garbage', () => {
    const other = createDialogTokens({ secret: 'another secret of 16+', identityOf: (u) => domains.identityOf(u), isLocal: () => false });
    const rq = request('sip:alice@localhost', 'A', 'sip:bob@example.org', 'B');
    expect(other.verify(rq, token)).toBe(false);
    expect(tokens.verify(rq, '')).toBe(false);
    expect(tokens.verify(rq, 'x'.repeat(100))).toBe(false);
  });
});

describe('the contact-to-flow memory is bounded (finding 5)', () => {
  const target = (flowId: string): { protocol: 'TCP'; address: string; port: number; flowId: string } => ({ protocol: 'TCP', address: '127.0.0.1', port: 5000, flowId });

  it('keeps at most contactsPerUser per user, however many one connection sends', () => {
    const flows = createFlowTable({ limits: { contactsPerUser: 20 } });
    for (let i = 0; i < 10_000; i++) flows.rememberContact('bob', `sip:bob-${String(i)}@127.0.0.1`, target('f1'));
    expect(flows.contacts).toBe(20);
    expect(flows.contactTarget('bob', 'sip:bob-9999@127.0.0.1')?.flowId).toBe('f1');
    expect(flows.contactTarget('bob', 'sip:bob-0@127.0.0.1')).toBeUndefined();
  });

  it('keeps one user’s contacts apart from another’s, bounds the users, and forgets a flow’s contacts with it', () => {
    const flows = createFlowTable({ limits: { contactsPerUser: 5, users: 100 } });
    flows.rememberContact('bob', 'sip:bob@h.invalid', target('f1'));
    expect(flows.contactTarget('alice', 'sip:bob@h.invalid')).toBeUndefined();
    for (let i = 0; i < 1000; i++) flows.rememberContact(`u${String(i)}`, 'sip:c@h.invalid', target(`g${String(i)}`));
    expect(flows.contacts).toBe(100);
    flows.forgetFlow('g999');
    expect(flows.contactTarget('u999', 'sip:c@h.invalid')).toBeUndefined();
    expect(flows.contacts).toBe(99);
  });

  it('finds a contact registered without `ob` when a dialog names it with `ob` (RFC 5626 §5.4), and the other way round', () => {
    const flows = createFlowTable();
    flows.rememberContact('bob', 'sip:k3@h7.invalid;transport=ws', target('f1'));
    expect(flows.contactTarget('bob', 'sip:k3@h7.invalid;transport=ws;ob')?.flowId).toBe('f1');
    expect(flows.contactTarget('bob', 'sip:k3@h7.invalid;OB;transport=ws')?.flowId).toBe('f1');
    flows.rememberContact('alice', 'sip:a1@x.invalid;transport=ws;ob', target('f2'));
    expect(flows.contactTarget('alice', 'sip:a1@x.invalid;transport=ws')?.flowId).toBe('f2');
    expect(flows.contacts).toBe(2);
    // Only the `ob` parameter is ignored: another contact of the same host is not found.
    expect(flows.contactTarget('bob', 'sip:k3@h7.invalid;transport=ws;obx')).toBeUndefined();
    expect(flows.contactTarget('bob', 'sip:k4@h7.invalid;transport=ws;ob')).toBeUndefined();
  });
});

describe('the per-source rate limiter', () => {
  it('refuses new sources while its table is full, sweeping refilled buckets at most once a second', () => {
    const limit = createRateLimiter(1, 1, 2);
    expect(limit.take('a', 0)).toBe(true);
    expect(limit.take('b', 0)).toBe(true);
    expect(limit.take('c', 0)).toBe(false); // full, and a and b are empty
    expect(limit.take('c', 500)).toBe(false); // no second sweep within the second
    expect(limit.take('c', 2000)).toBe(true); // a and b have refilled: swept
    expect(limit.size).toBe(1);
  });
});
