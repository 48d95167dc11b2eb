/**
 * The server side of RFC 5626 keep-alives on real loopback sockets: STUN Binding requests on the
 * SIP UDP port answered before SIP parsing (§8) and counted apart from parse errors; CRLF pings over
 * WebSocket answered with a CRLF pong (RFC 7118 §6 keeps RFC 5626's keep-alives); and a layer's
 * own UDP STUN keep-alive answered by another layer.
 */
import { makeResponse } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStun, STUN_BINDING_SUCCESS, stunBindingRequest, stunMappedAddress, type Remote } from '../src/index.js';
import { createTransportLayer } from '../src/node/index.js';
import { cleanup, portOf, requestText, startLayer, udpPeer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

const bytesOf = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

describe('STUN on the SIP UDP port (RFC 5626 §8)', () => {
  it('answers a Binding request with the source address, counted as a keep-alive and not as a parse error', async () => {
    const seen: { remote: Remote; kind: string }[] = [];
    const layer = createTransportLayer(
      { address: '127.0.0.1', udp: { port: 0 }, tcp: false },
      { onRequest: () => undefined, onResponse: () => undefined, onKeepAlive: (remote, kind) => seen.push({ remote, kind }) },
    );
    await layer.start();
    try {
      const peer = await udpPeer();
      const rq = stunBindingRequest();
      await peer.send(rq, portOf(layer, 'UDP'));
      await waitFor(() => peer.received.length === 1, 5000, 'the STUN answer');
      const rs = decodeStun(bytesOf(peer.received[0]!.text));
      expect(rs.type).toBe(STUN_BINDING_SUCCESS);
      expect([...rs.transactionId]).toEqual([...decodeStun(rq).transactionId]);
      expect(rs.fingerprintOk).toBe(true);
      expect(stunMappedAddress(rs)).toEqual({ address: '127.0.0.1', port: peer.port });
      expect(layer.stats).toMatchObject({ stunRequestsAnswered: 1, keepAlivesAnswered: 1, dropped: 0, badRequestsAnswered: 0, requestsReceived: 0 });
      expect(seen).toEqual([{ remote: expect.objectContaining({ protocol: 'UDP', address: '127.0.0.1', port: peer.port }) as Remote, kind: 'stun' }]);
    } finally {
      await layer.stop();
    }
  });

  it('drops a STUN message with a bad FINGERPRINT and a response to nothing, and SIP still works on the port', async () => {
    const { layer, got } = await startLayer({ tcp: false }, (l, rq, remote) => {
      void l.sendResponse(makeResponse(rq, 200, undefined, { toTag: 'x' }), remote);
    });
    const peer = await udpPeer();
    const bad = stunBindingRequest();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    await peer.send(bad, portOf(layer, 'UDP'));
    // A Binding success nobody asked for (here: the answer to a request of the peer's own).
    await peer.send(stunBindingRequest(), portOf(layer, 'UDP'));
    await waitFor(() => peer.received.length === 1, 5000, 'the STUN answer');
    await peer.send(bytesOf(peer.received[0]!.text), portOf(layer, 'UDP'));
    await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${String(peer.port)};branch=z9hG4bKstun1` }), portOf(layer, 'UDP'));
    await waitFor(() => peer.received.length === 2, 5000, 'the 200');
    expect(peer.received[1]!.text.startsWith('SIP/2.0 200')).toBe(true);
    expect(got.requests).toHaveLength(1);
    expect(layer.stats).toMatchObject({ stunRequestsAnswered: 1, dropped: 2, badRequestsAnswered: 0 });
    expect(peer.received).toHaveLength(2); // one STUN answer, one 200: nothing for the bad ones
  });
});

describe('CRLF keep-alives over WebSocket (RFC 7118 §6)', () => {
  it('answers a CRLFCRLF frame with a CRLF frame and counts it; a lone CRLF gets nothing', async () => {
    const { layer, got } = await startLayer({ udp: false, tcp: false, ws: { port: 0 } });
    const ws = new WebSocket(`ws://127.0.0.1:${String(portOf(layer, 'WS'))}/`, 'sip');
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => frames.push(d.toString('latin1')));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      ws.send('\r\n');
      ws.send('\r\n\r\n');
      await waitFor(() => frames.length === 1 && layer.stats.keepAlivesAnswered === 1, 5000, 'the pong');
      expect(frames).toEqual(['\r\n']);
      expect(layer.stats.dropped).toBe(0);
      expect(got.requests).toHaveLength(0);
    } finally {
      ws.close();
    }
  });
});

describe('a layer keeping its own UDP flow alive (RFC 5626 §4.4.2)', () => {
  it('sends a STUN Binding request that the other layer answers; the mapped address is ours', async () => {
    const { layer: server } = await startLayer({ tcp: false });
    const failures: string[] = [];
    const timers: (() => void)[] = [];
    const client = createTransportLayer(
      { address: '127.0.0.1', udp: { port: 0 }, tcp: false, keepAlive: { clock: { set: (_ms, fn) => (timers.push(fn), { id: timers.length }), clear: () => undefined } } },
      { onRequest: () => undefined, onResponse: () => undefined, onFlowFailed: (_r, reason) => failures.push(reason) },
    );
    await client.start();
    try {
      const ka = client.keepAlive({ protocol: 'UDP', address: '127.0.0.1', port: portOf(server, 'UDP') }, { flowTimerSeconds: 20 });
      expect(ka?.kind).toBe('stun');
      timers.shift()?.(); // the interval elapses: the first Binding request goes out
      await waitFor(() => ka?.answered === 1, 5000, 'the STUN answer');
      expect(ka?.mapped).toEqual({ address: '127.0.0.1', port: portOf(client, 'UDP') });
      expect(server.stats.stunRequestsAnswered).toBe(1);
      expect(client.stats).toMatchObject({ keepAlivesSent: 1, stunResponsesReceived: 1, dropped: 0 });
      expect(failures).toEqual([]);
      // The same flow again: the same keep-alive, with the new Flow-Timer.
      expect(client.keepAlive({ protocol: 'UDP', address: '127.0.0.1', port: portOf(server, 'UDP') }, { flowTimerSeconds: 10 })).toBe(ka);
    } finally {
      await client.stop();
    }
  });
});
