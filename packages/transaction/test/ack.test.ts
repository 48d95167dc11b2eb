/**
 * The ACK for a non-2xx final response (RFC 3261 §17.1.1.3), built on its own.
 */
import { makeResponse, serializeMessage } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { buildAckForNonSuccess } from '../src/ack.js';
import { request } from './loopback.js';

describe('buildAckForNonSuccess', () => {
  it('copies what §17.1.1.3 asks for and nothing else', () => {
    const invite = request('INVITE', {
      route: [{ uri: 'sip:p1.example.com;lr', params: {} }],
      authorization: [{ scheme: 'Digest', username: '"alice"' }],
      'content-type': 'application/sdp',
    });
    invite.content = 'v=0\r\n';
    const rs = makeResponse(invite, 407, undefined, { toTag: 'xyz' });
    const ack = buildAckForNonSuccess(invite, rs);
    expect(Object.keys(ack.headers).sort()).toEqual(['call-id', 'cseq', 'from', 'max-forwards', 'route', 'to', 'via']);
    expect(ack.headers.via).toHaveLength(1);
    expect(ack.headers.to?.params.tag).toBe('xyz');
    expect(ack.headers.cseq).toEqual({ seq: 314159, method: 'ACK' });
    expect(ack.content).toBe('');
    const text = new TextDecoder().decode(serializeMessage(ack));
    expect(text.startsWith('ACK sip:bob@biloxi.example.com SIP/2.0\r\n')).toBe(true);
    expect(text).toContain('Route: <sip:p1.example.com;lr>');
    expect(text).toContain('Max-Forwards: 70');
    expect(text).toContain('Content-Length: 0');
  });

  it('omits Route when the INVITE has none', () => {
    const invite = request('INVITE');
    const ack = buildAckForNonSuccess(invite, makeResponse(invite, 500, undefined, { toTag: 't' }));
    expect(ack.headers.route).toBeUndefined();
  });

  it('is a copy: changing the ACK leaves the INVITE and the response alone', () => {
    const invite = request('INVITE', { route: [{ uri: { schema: 'sip', host: 'p1', params: { lr: null }, headers: {} }, params: {} }] });
    const rs = makeResponse(invite, 486, undefined, { toTag: 't' });
    const ack = buildAckForNonSuccess(invite, rs);
    ack.headers.via![0]!.params.branch = 'changed';
    ack.headers.to!.params.tag = 'changed';
    ack.headers.from!.params.tag = 'changed';
    (ack.headers.route![0]!.uri as { host: string }).host = 'changed';
    expect(invite.headers.via![0]!.params.branch).toBe('z9hG4bKnashds8');
    expect(rs.headers.to!.params.tag).toBe('t');
    expect(invite.headers.from!.params.tag).toBe('1928301774');
    expect((invite.headers.route![0]!.uri as { host: string }).host).toBe('p1');
  });

  it('throws a SipError when a header it needs is missing', () => {
    const invite = request('INVITE');
    const rs = makeResponse(invite, 486, undefined, { toTag: 't' });
    delete invite.headers.cseq;
    expect(() => buildAckForNonSuccess(invite, rs)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});
