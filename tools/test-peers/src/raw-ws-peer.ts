/**
 * A raw WebSocket client on loopback for the flow tests of transport and proxy (RFC 6455, RFC 7118): it sends masked text
 * frames and starts the closing handshake by hand, and keeps its TCP side open after the server's
 * close frame (allowHalfOpen), so the server's end of the flow stays CLOSING until the test ends.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { until } from './wait.js';

/** A raw WebSocket peer. */
export interface RawWsPeer {
  socket: Socket;
  /** Sends one masked text frame. */
  sendText(text: string): void;
  /** Sends a close frame (status 1000) and keeps the socket open. */
  sendClose(): void;
  /** Opcodes of the whole frames received so far (1 text, 8 close). */
  opcodes(): number[];
}

/** A client-to-server frame (masked, RFC 6455 §5.3) with a payload under 64 KiB. */
function maskedFrame(opcode: number, payload: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)))]);
}

/** Opcodes of the whole unmasked server frames in `data`. */
function opcodesOf(data: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    const len7 = (data[at + 1] ?? 0) & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    if (at + 2 + extra > data.length) break;
    const len = len7 === 126 ? data.readUInt16BE(at + 2) : len7 === 127 ? Number(data.readBigUInt64BE(at + 2)) : len7;
    if (at + 2 + extra + len > data.length) break;
    out.push((data[at] ?? 0) & 0x0f);
    at += 2 + extra + len;
  }
  return out;
}

/** Connects and upgrades to a WebSocket with the `sip` subprotocol; destroy `socket` when done. */
export async function rawWsPeer(port: number): Promise<RawWsPeer> {
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
  await until(() => data.includes('\r\n\r\n'), 5000, 'the upgrade response');
  if (!data.toString('latin1').startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${data.toString('latin1').split('\r\n')[0] ?? ''}`);
  const start = data.indexOf('\r\n\r\n') + 4;
  return {
    socket,
    sendText(text) {
      socket.write(maskedFrame(0x1, Buffer.from(text, 'utf8')));
    },
    sendClose() {
      socket.write(maskedFrame(0x8, Uint8Array.from([0x03, 0xe8])));
    },
    opcodes: () => opcodesOf(data.subarray(start)),
  };
}
