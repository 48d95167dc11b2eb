/**
 * A flow that is no longer in the connection pool: a request that names it (`Target.flowId`) is
 * rejected with `flow-failed` (430) and never goes over another or a new connection, even when
 * the same address still listens (RFC 5626 §5.3); a response whose request's connection is gone
 * still goes out over a new connection (RFC 3261 §18.2.2).
 * @see RFC 5626 §5.3, RFC 3261 §18.2.2
 */
import { makeResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { isFlowFailed } from '../src/index.js';
import { cleanup, portOf, request, requestText, startLayer, tcpClient, tcpServer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

describe('a flow that has closed (RFC 5626 §5.3)', () => {
  it('a request to its flow id rejects with flow-failed 430 and opens no new connection', async () => {
    const { layer, got } = await startLayer({ udp: false });
    const server = await tcpServer();
    const remote = await layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: server.port });
    expect(remote.flowId).toBeDefined();
    await waitFor(() => server.peers[0]?.messages.length === 1, 5000, 'the first request');
    // The peer closes the connection; the address keeps listening.
    server.peers[0]!.socket.destroy();
    await waitFor(() => got.flowsClosed.length === 1, 5000, 'the flow to close');
    expect(layer.hasFlow(remote.flowId!)).toBe(false);
    const opened = layer.stats.connectionsOpened;
    const target = { protocol: 'TCP' as const, address: '127.0.0.1', port: server.port, flowId: remote.flowId! };
    const error: unknown = await layer.sendRequest(request('sip:bob@127.0.0.1'), target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'SipError', code: 'flow-failed', status: 430 });
    expect(isFlowFailed(error)).toBe(true);
    expect(layer.stats.connectionsOpened).toBe(opened);
    // Nothing reached the still-listening address over a new connection.
    expect(server.peers).toHaveLength(1);
    // Without the flow id, the same address is reached over a new connection, as before.
    await layer.sendRequest(request('sip:bob@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: server.port });
    expect(layer.stats.connectionsOpened).toBe(opened + 1);
    await waitFor(() => server.peers[1]?.messages.length === 1, 5000, 'the request over a new connection');
  });

  it('a response to a request whose flow has closed still goes out over a new connection', async () => {
    const { layer, got } = await startLayer({ udp: false });
    const sentBy = await tcpServer(); // where the client's Via says it listens
    const client = await tcpClient(portOf(layer, 'TCP'));
    client.send(requestText({ via: `SIP/2.0/TCP 127.0.0.1:${String(sentBy.port)};branch=z9hG4bKflowgone` }));
    await waitFor(() => got.requests.length === 1, 5000, 'the request');
    const { request: rq, remote } = got.requests[0]!;
    expect(remote.flowId).toBeDefined();
    client.socket.destroy();
    await waitFor(() => got.flowsClosed.length === 1, 5000, 'the flow to close');
    const opened = layer.stats.connectionsOpened;
    const sent = await layer.sendResponse(makeResponse(rq, 200), remote);
    expect(sent).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: sentBy.port });
    expect(sent.flowId).not.toBe(remote.flowId);
    expect(layer.stats.connectionsOpened).toBe(opened + 1);
    await waitFor(() => sentBy.peers[0]?.messages.length === 1, 5000, 'the response over a new connection');
    expect(sentBy.peers[0]!.messages[0]).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    // A request to the gone flow id is still refused: the new connection is not that flow.
    const error: unknown = await layer.sendRequest(request('sip:alice@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: sentBy.port, flowId: remote.flowId! }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFlowFailed(error)).toBe(true);
  });
});
