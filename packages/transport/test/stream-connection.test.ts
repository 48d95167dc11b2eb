/**
 * A stream connection on its own: the write backlog limit, close semantics, and the events.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT_LIMITS, silentLogger, type TransportLimits } from '../src/index.js';
import type { Connection } from '../src/node/index.js';
import { createStreamConnection } from '../src/node/stream-connection.js';
import { waitFor } from './layer-helpers.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

/** A connected pair: our wrapped end and the raw peer (paused, so nothing is read). */
async function pair(limits: TransportLimits, events: { frames: Uint8Array[]; closes: (Error | undefined)[]; errors: Error[] }): Promise<{ conn: Connection; peer: Socket }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((s) => {
      resolve(s);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const client = connect({ port: (server!.address() as { port: number }).port, host: '127.0.0.1' });
  await new Promise<void>((r) => client.once('connect', () => r()));
  const peer = await accepted;
  sockets.push(client, peer);
  const conn = createStreamConnection(
    client,
    { protocol: 'TCP', outbound: true, limits: { ...DEFAULT_TRANSPORT_LIMITS, ...limits }, logger: silentLogger },
    {
      onFrame: (_c, f) => events.frames.push(f),
      onFramingError: (_c, e) => events.errors.push(e),
      onClose: (_c, e) => events.closes.push(e),
    },
  );
  return { conn, peer };
}

describe('stream connection', () => {
  it('rejects writes with 503 once maxPendingWriteBytes are waiting (a peer that does not read)', async () => {
    const events = { frames: [], closes: [], errors: [] };
    const { conn, peer } = await pair({ maxPendingWriteBytes: 256 * 1024 }, events);
    peer.pause();
    const chunk = new Uint8Array(64 * 1024);
    let rejected: unknown;
    let writes = 0;
    for (let i = 0; i < 2000 && rejected === undefined; i++) {
      writes++;
      conn.write(chunk).catch((e: unknown) => {
        rejected = e;
      });
      // A refused write rejects at once: its catch runs within a few microtasks.
      for (let k = 0; k < 5; k++) await Promise.resolve();
    }
    // the kernel buffers some of it, then our limit of 4 chunks (256 KiB) applies
    expect(writes).toBeGreaterThan(4);
    expect(rejected).toMatchObject({ code: 'send-failed', status: 503 });
    conn.close();
  });

  it('frames messages, reports close exactly once, and rejects writes after close', async () => {
    const events = { frames: [] as Uint8Array[], closes: [] as (Error | undefined)[], errors: [] as Error[] };
    const { conn, peer } = await pair({}, events);
    peer.write('OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\n\r\nhiOPT');
    await waitFor(() => events.frames.length === 1);
    expect(Buffer.from(events.frames[0]!).toString()).toMatch(/hi$/);
    conn.close();
    conn.close();
    await waitFor(() => events.closes.length === 1);
    await expect(conn.write(new Uint8Array(1))).rejects.toMatchObject({ status: 503 });
    expect(events.closes).toHaveLength(1);
    expect(conn.remote).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', flowId: expect.stringMatching(/^TCP\//) });
  });
});
