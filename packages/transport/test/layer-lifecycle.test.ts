/**
 * The transport layer's life cycle: bind failures reject start() with a SipError naming the
 * protocol, address and port and close what was opened; several layers side by side; stop().
 */
import { createServer } from 'node:net';
import { SipError } from '@sipts/message';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransportLayer } from '../src/node/index.js';
import { cleanup, portOf, request, startLayer, udpPeer, waitFor } from './layer-helpers.js';

afterEach(cleanup);

const noHandlers = { onRequest: () => undefined, onResponse: () => undefined };

describe('start and stop', () => {
  it('rejects start() with bind-failed when the UDP port is busy, and does not crash', async () => {
    const busy = await udpPeer();
    const layer = createTransportLayer({ address: '127.0.0.1', udp: { port: busy.port }, tcp: { port: 0 } }, noHandlers);
    const err: unknown = await layer.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipError);
    expect(err).toMatchObject({ code: 'bind-failed' });
    expect((err as Error).message).toContain(`UDP 127.0.0.1:${String(busy.port)}`);
    expect((err as Error).message).toContain('EADDRINUSE');
    expect(layer.listening).toHaveLength(0);
    await layer.stop();
  });

  it('closes what it opened when a later bind fails (TCP busy after UDP bound)', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busyPort = (blocker.address() as { port: number }).port;
    try {
      const probe = await udpPeer();
      const udpPort = probe.port;
      await new Promise<void>((r) => probe.socket.close(() => r()));
      const layer = createTransportLayer({ address: '127.0.0.1', udp: { port: udpPort }, tcp: { port: busyPort } }, noHandlers);
      const err = await layer.start().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'bind-failed' });
      expect((err as Error).message).toContain(`TCP 127.0.0.1:${String(busyPort)}`);
      // the UDP port it had bound is free again
      const again = await udpPeer('127.0.0.1', udpPort);
      expect(again.port).toBe(udpPort);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('names the address when it cannot be bound at all', async () => {
    const layer = createTransportLayer({ address: '192.0.2.123', udp: { port: 0 }, tcp: false }, noHandlers);
    const err = await layer.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bind-failed' });
    expect((err as Error).message).toContain('192.0.2.123');
  });

  it('two layers side by side in one process keep their own state', async () => {
    const a = await startLayer({});
    const b = await startLayer({});
    expect(portOf(a.layer, 'UDP')).not.toBe(portOf(b.layer, 'UDP'));
    await a.layer.sendRequest(request('sip:b@127.0.0.1'), { protocol: 'UDP', address: '127.0.0.1', port: portOf(b.layer, 'UDP') });
    expect(a.layer.stats.messagesSent).toBe(1);
    expect(b.layer.stats.messagesSent).toBe(0);
  });

  it('start() is shared, stop() is idempotent, and start() after stop() rejects', async () => {
    const layer = createTransportLayer({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 } }, noHandlers);
    const s1 = layer.start();
    expect(layer.start()).toBe(s1);
    await s1;
    expect(layer.listening.map((l) => l.protocol)).toEqual(['UDP', 'TCP']);
    // Read on every request by the facade and the proxy: one frozen list, not new objects per read.
    expect(layer.listening).toBe(layer.listening);
    expect(Object.isFrozen(layer.listening)).toBe(true);
    expect(Object.isFrozen(layer.listening[0])).toBe(true);
    await layer.stop();
    await layer.stop();
    await expect(layer.start()).rejects.toMatchObject({ code: 'bind-failed' });
    await expect(layer.sendRequest(request('sip:b@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: 9 })).rejects.toMatchObject({ status: 503 });
  });

  it('stop() before start() resolves', async () => {
    const layer = createTransportLayer({ udp: false, tcp: false }, noHandlers);
    await layer.stop();
    expect(layer.listening).toEqual([]);
  });
});

describe('stop() releases every handle', () => {
  const handles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'UDPWrap').length;

  it('closes listeners and established connections in both directions, so the process could exit', async () => {
    // Sockets of the earlier tests are released a loop turn after they close.
    await waitFor(() => handles() === 0, 3000, 'earlier sockets to be released');
    const before = handles();

    const b = createTransportLayer({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 } }, noHandlers);
    await b.start();
    const a = createTransportLayer({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 } }, noHandlers);
    await a.start();
    await a.sendRequest(request('sip:b@127.0.0.1'), { protocol: 'TCP', address: '127.0.0.1', port: portOf(b, 'TCP') });
    expect(handles()).toBe(before + 6); // 2 UDP, 2 TCP servers, 2 connection ends
    await b.stop(); // closes the inbound end; a sees its connection close
    await a.stop();
    // A closed server's libuv handle is released on the next loop turn.
    await waitFor(() => handles() === before, 2000, 'the handles to be released');
    expect(handles()).toBe(before);
  });
});
