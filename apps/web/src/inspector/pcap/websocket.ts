/**
 * WebSocket frames on one direction of a TCP stream, after the HTTP upgrade: masked (client to
 * server) and unmasked, fragmented messages joined, control frames skipped (RFC 6455 §5). Each
 * whole text or binary message is handed on: RFC 7118 §5 carries one SIP message per WebSocket
 * message. Pure; messages are bounded.
 */
import { ByteQueue } from './byte-queue.js';

/** What a decoder found besides messages. */
export type WsEvent = { kind: 'message'; data: Uint8Array } | { kind: 'compressed' } | { kind: 'close' } | { kind: 'error'; reason: string };

/** The largest WebSocket message accepted. */
export const MAX_WS_MESSAGE = 1024 * 1024;

/** Decodes the frames of one direction. */
export interface WsDecoder {
  push(chunk: Uint8Array): WsEvent[];
}

/**
 * Creates a decoder for the bytes one side sent after the upgrade.
 * @example for (const e of ws.push(chunk)) if (e.kind === 'message') onSip(e.data)
 * @see RFC 6455 §5.2 (base framing), §5.4 (fragmentation), RFC 7118 §5
 */
export function createWsDecoder(): WsDecoder {
  const queue = new ByteQueue();
  let parts: Uint8Array[] = [];
  let partsBytes = 0;
  let compressed = false;
  let dead = false;

  function frame(out: WsEvent[]): boolean {
    const b = queue.bytes;
    if (b.length < 2) return false;
    const b0 = b[0] ?? 0;
    const b1 = b[1] ?? 0;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return false;
      len = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return false;
      const v = new DataView(b.buffer, b.byteOffset + 2, 8);
      const big = v.getUint32(0, false) * 2 ** 32 + v.getUint32(4, false);
      if (big > MAX_WS_MESSAGE) {
        dead = true;
        out.push({ kind: 'error', reason: `a frame of ${big} bytes` });
        return false;
      }
      len = big;
      off = 10;
    }
    if (len > MAX_WS_MESSAGE) {
      dead = true;
      out.push({ kind: 'error', reason: `a frame of ${len} bytes` });
      return false;
    }
    const keyAt = off;
    if (masked) off += 4;
    if (b.length < off + len) return false;
    const payload = b.slice(off, off + len);
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (b[keyAt + (i & 3)] ?? 0);
    queue.consume(off + len);
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode === 8) {
      dead = true;
      out.push({ kind: 'close' });
      return false;
    }
    if (opcode >= 8) return true; // ping, pong
    if (opcode === 1 || opcode === 2) {
      parts = [];
      partsBytes = 0;
      // RSV1 on the first frame: permessage-deflate (RFC 7692), which this reader does not inflate.
      compressed = (b0 & 0x40) !== 0;
    }
    parts.push(payload);
    partsBytes += payload.length;
    if (partsBytes > MAX_WS_MESSAGE) {
      dead = true;
      out.push({ kind: 'error', reason: 'a message over the size bound' });
      return false;
    }
    if (fin) {
      if (compressed) out.push({ kind: 'compressed' });
      else {
        const data = new Uint8Array(partsBytes);
        let at = 0;
        for (const p of parts) {
          data.set(p, at);
          at += p.length;
        }
        out.push({ kind: 'message', data });
      }
      parts = [];
      partsBytes = 0;
    }
    return true;
  }

  return {
    push(chunk) {
      const out: WsEvent[] = [];
      if (dead) return out;
      queue.append(chunk);
      while (frame(out));
      return out;
    },
  };
}
