import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT_LIMITS, silentLogger } from '../src/index.js';
import { listenUdp } from '../src/node/udp.js';

const base = { address: '127.0.0.1', port: 0, limits: DEFAULT_TRANSPORT_LIMITS, logger: silentLogger };
const noop = { onMessage: () => undefined };
const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'latin1'));

describe('UDP socket buffers', () => {
  it('sets SO_RCVBUF when asked: Linux keeps twice the request, capped at net.core.rmem_max', async () => {
    const asked = 1 << 20;
    const udp = await listenUdp({ ...base, receiveBufferBytes: asked }, noop);
    try {
      expect(udp.receiveBufferBytes).toBe(2 * Math.min(asked, rmemMax));
    } finally {
      await udp.close();
    }
  });

  it('leaves the system default when not asked', async () => {
    const udp = await listenUdp(base, noop);
    try {
      expect(udp.receiveBufferBytes).toBe(Number(readFileSync('/proc/sys/net/core/rmem_default', 'latin1')));
    } finally {
      await udp.close();
    }
  });
});
