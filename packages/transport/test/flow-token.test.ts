import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFlowTokenCodec } from '../src/node/index.js';

const key = randomBytes(32);
const codec = createFlowTokenCodec({ key });

describe('flow tokens (RFC 5626 §5.2)', () => {
  it('round-trips a stream flow, a UDP flow, and a flow with its local address', () => {
    const tcp = { protocol: 'TCP' as const, address: '192.0.2.1', port: 5060, flowId: 'tcp-17' };
    const udp = { protocol: 'UDP' as const, address: '2001:db8::1', port: 5062 };
    const local = { protocol: 'WSS' as const, address: '198.51.100.4', port: 443, flowId: 'ws|9', local: { address: '127.0.0.1', port: 8089 } };
    expect(codec.decode(codec.encode(tcp))).toEqual(tcp);
    expect(codec.decode(codec.encode(udp))).toEqual(udp);
    // A '|' inside a field would shift the fields: such a token does not decode to another flow.
    expect(codec.decode(codec.encode(local))).toBeUndefined();
    const clean = { ...local, flowId: 'ws-9' };
    expect(codec.decode(codec.encode(clean))).toEqual(clean);
  });

  it('accepts tokens of another codec with the same key (instances sharing a secret), refuses other keys', () => {
    const token = codec.encode({ protocol: 'TLS', address: '192.0.2.9', port: 5061, flowId: 'tls-1' });
    expect(createFlowTokenCodec({ key: Buffer.from(key) }).decode(token)).toEqual({ protocol: 'TLS', address: '192.0.2.9', port: 5061, flowId: 'tls-1' });
    expect(createFlowTokenCodec({ key: randomBytes(32) }).decode(token)).toBeUndefined();
  });

  it('refuses a token whose flow was changed, even with a tag that is the right length', () => {
    const token = codec.encode({ protocol: 'UDP', address: '192.0.2.1', port: 5060 });
    const [, tag] = token.split('.');
    const other = Buffer.from('UDP|203.0.113.66|5060|', 'utf8').toString('base64url');
    expect(codec.decode(`${other}.${tag ?? ''}`)).toBeUndefined();
  });

  it('refuses malformed tokens that carry a valid tag: unknown protocol, bad port, wrong field count', () => {
    const signed = (fields: string): string => {
      const payload = Buffer.from(fields, 'utf8').toString('base64url');
      return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 12).toString('base64url')}`;
    };
    expect(codec.decode(signed('UDP|192.0.2.1|5060|'))).toEqual({ protocol: 'UDP', address: '192.0.2.1', port: 5060 });
    for (const bad of ['SCTP|192.0.2.1|5060|', 'UDP||5060|', 'UDP|192.0.2.1|70000|', 'UDP|192.0.2.1||', 'UDP|192.0.2.1|5060', 'UDP|192.0.2.1|5060||127.0.0.1', 'UDP|192.0.2.1|5060||127.0.0.1|x']) {
      expect(codec.decode(signed(bad)), bad).toBeUndefined();
    }
  });

  it('refuses garbage and oversized input without throwing', () => {
    for (const t of ['', '.', 'abc', '.abc', 'abc.', '%%%.%%%', `${'a'.repeat(600)}.b`]) expect(codec.decode(t), t).toBeUndefined();
  });
});
