/**
 * Bench-only: gives every UDP socket this process creates a larger receive buffer (SO_RCVBUF), as
 * a production SIP server is deployed (Kamailio, for one, sets its own). Neither @sipts/transport
 * nor the classic `sip` package sets one, and the kernel default (net.core.rmem_default, 208 KiB
 * here) holds only about 150 datagrams of this load: a few milliseconds of pause (a GC) at tens
 * of thousands of requests/s overflows it, and every drop costs a 500 ms retransmission. Both
 * UASes get the same buffer. It wraps dgram.createSocket and syncs the ESM named export, so it
 * must be called before the stack starts its sockets.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);

/** Sets SO_RCVBUF (and SO_SNDBUF) to `bytes` on every UDP socket bound from now on; 0 leaves the default. */
export function enlargeUdpBuffers(bytes) {
  if (!(bytes > 0)) return;
  const dgram = require('node:dgram');
  const original = dgram.createSocket;
  dgram.createSocket = function createSocket(...args) {
    const socket = original.apply(this, args);
    socket.once('listening', () => {
      try {
        socket.setRecvBufferSize(bytes);
        socket.setSendBufferSize(bytes);
      } catch {
        // capped by net.core.rmem_max / wmem_max: keep what the kernel gives
      }
    });
    return socket;
  };
  syncBuiltinESMExports();
}

/** The receive buffer the kernel reports for a fresh socket with `bytes` asked (Linux doubles it). */
export async function probeUdpBuffer(bytes) {
  const dgram = require('node:dgram');
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const before = s.getRecvBufferSize();
  let after = before;
  try {
    if (bytes > 0) s.setRecvBufferSize(bytes);
    after = s.getRecvBufferSize();
  } catch {
    // keep the default
  }
  s.close();
  return { default: before, granted: after };
}
