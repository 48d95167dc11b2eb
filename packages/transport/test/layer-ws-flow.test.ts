/**
 * A request sent over a WebSocket flow that the peer is closing (RFC 5626 §5.3): the transport
 * reports a typed `flow-failed` error (status 430) instead of a plain `send-failed` 503, and never
 * opens a replacement connection. A raw client holds the closing handshake half-done, so the flow
 * stays CLOSING for as long as the test needs it.
 * @see RFC 5626 §5.3, RFC 6455 §5.5.1, RFC 7118
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isFlowFailed } from '../src/index.js';
import { cleanup, portOf, request, requestText, startLayer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

/** A client-to-server frame (always masked, RFC 6455 §5.3) with a payload under 64 KiB. */
function maskedFrame(opcode: number, payload: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([head, mask, body]);
}

/** A raw WebSocket client that records what it receives and never closes its socket by itself. */
async function rawWsClient(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
  // allowHalfOpen: the server's FIN after its close frame does not end our side.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let data = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${String(port)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  );
  await waitFor(() => data.includes('\r\n\r\n'), 5000, 'the upgrade response');
  expect(data.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  const start = data.indexOf('\r\n\r\n') + 4;
  return { socket, received: () => data.subarray(start) };
}

describe('a request over a closing WebSocket flow (RFC 5626 §5.3)', () => {
  it('rejects with SipError flow-failed (430), and opens no new connection', async () => {
    const { layer, got } = await startLayer({ udp: false, tcp: false, ws: { port: 0 } });
    const client = await rawWsClient(portOf(layer, 'WS'));
    try {
      client.socket.write(maskedFrame(0x1, Buffer.from(requestText({ via: 'SIP/2.0/WS client.invalid;branch=z9hG4bKflow1' }), 'latin1')));
      await waitFor(() => got.requests.length === 1, 5000, 'the request over the WebSocket');
      const remote = got.requests[0]!.remote;
      expect(layer.hasFlow(remote.flowId!)).toBe(true);
      // The client starts the closing handshake and keeps its TCP side open: once the server's
      // close frame (opcode 8) comes back, the server's socket is CLOSING and still in the pool.
      client.socket.write(maskedFrame(0x8, Uint8Array.from([0x03, 0xe8])));
      await waitFor(() => client.received()[0] === 0x88, 5000, 'the server’s close frame');
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
