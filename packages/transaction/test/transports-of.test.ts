import { describe, expect, it } from 'vitest';
import { transportsOf } from '../src/node/index.js';

describe('transportsOf (the protocols the default resolver may pick)', () => {
  it('lists what the stack listens on', () => {
    expect(transportsOf({})).toEqual(['UDP', 'TCP']);
    expect(transportsOf({ udp: false, ws: { port: 0 } })).toEqual(['TCP', 'WS']);
  });
  it('adds TLS and WSS when only tlsClient is given (outgoing only)', () => {
    expect(transportsOf({ tcp: false, tlsClient: {} })).toEqual(['UDP', 'TLS', 'WSS']);
  });
});
