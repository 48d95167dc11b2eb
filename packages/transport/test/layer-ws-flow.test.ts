/**
 * A request sent over a WebSocket flow that the peer is closing (RFC 5626 §5.3): the transport
 * reports a typed `flow-failed` error (status 430) instead of a plain `send-failed` 503, and never
 * opens a replacement connection. A raw client holds the closing handshake half-done, so the flow
 * stays CLOSING for as long as the test needs it.
 * @see RFC 5626 §5.3, RFC 6455 §5.5.1, RFC 7118
 */
import { rawWsPeer } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { isFlowFailed } from '../src/index.js';
import { cleanup, portOf, request, requestText, startLayer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

describe('a request over a closing WebSocket flow (RFC 5626 §5.3)', () => {
  it('rejects with SipError flow-failed (430), and opens no new connection', async () => {
    const { layer, got } = await startLayer({ udp: false, tcp: false, ws: { port: 0 } });
    const client = await rawWsPeer(portOf(layer, 'WS'));
    try {
      client.sendText(requestText({ via: 'SIP/2.0/WS client.invalid;branch=z9hG4bKflow1' }));
      await waitFor(() => got.requests.length === 1, 5000, 'the request over the WebSocket');
      const remote = got.requests[0]!.remote;
      expect(layer.hasFlow(remote.flowId!)).toBe(true);
      // The client starts the closing handshake and keeps its TCP side open: once the server's
      // close frame (opcode 8) comes back, the server's socket is CLOSING and still in the pool.
      client.sendClose();
      await waitFor(() => client.opcodes().includes(8), 5000, 'the server’s close frame');
      expect(layer.hasFlow(remote.flowId!)).toBe(true);
      const opened = layer.stats.connectionsOpened;
      const target = { protocol: 'WS' as const, address: remote.address, port: remote.port, flowId: remote.flowId! };
      const error: unknown = await layer.sendRequest(request('sip:ua@client.invalid;transport=ws'), target).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'SipError', code: 'flow-failed', status: 430 });
      expect(isFlowFailed(error)).toBe(true);
      expect(layer.stats.connectionsOpened).toBe(opened);
    } finally {
      client.socket.destroy();
    }
  });

  it('keeps other send failures as they were: send-failed 503, not a flow failure', async () => {
    const { layer } = await startLayer({ udp: false, tcp: false });
    const error: unknown = await layer.sendRequest(request('sip:ua@127.0.0.1'), { protocol: 'UDP', address: '127.0.0.1', port: 9 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'send-failed', status: 503 });
    expect(isFlowFailed(error)).toBe(false);
  });
});
