/**
 * What one side of a TCP connection carries, decided from its first bytes: SIP (framed by
 * `createStreamFramer`, RFC 3261 §18.3), WebSocket after an HTTP upgrade (RFC 6455 §4, frames
 * decoded by websocket.ts, RFC 7118), or something else (counted, not shown). Pure.
 */
import { createStreamFramer, isSipParseError, type StreamFramer } from '@sipts/message';
import { ByteQueue } from './byte-queue.js';
import { firstLineIncomplete, isKeepAlive, startsWithSipLine } from './sip-detect.js';
import { createWsDecoder, type WsDecoder } from './websocket.js';

/** A message found on the stream, or a problem worth counting. */
export type StreamEvent =
  | { kind: 'sip'; transport: 'TCP' | 'WS'; data: Uint8Array }
  | { kind: 'not-sip' }
  | { kind: 'error'; reason: string };

/** The decoder of one direction of one TCP connection. */
export interface StreamPayload {
  push(chunk: Uint8Array): StreamEvent[];
  /** Bytes were lost in the stream: what follows cannot be framed. */
  gap(): StreamEvent[];
  /** `sip`, `ws`, `other` once known. */
  readonly kind: 'detect' | 'http' | 'sip' | 'ws' | 'other' | 'lost';
}

const dec = new TextDecoder();
/** The largest HTTP upgrade header accepted. */
const MAX_HTTP_HEADER = 16 * 1024;

function headerEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) if (b[i] === 0x0a && b[i - 1] === 0x0d && b[i - 2] === 0x0a && b[i - 3] === 0x0d) return i + 1;
  return -1;
}

/** An HTTP request or response that switches to WebSocket (RFC 6455 §4.1, §4.2.2). */
function isUpgrade(header: string): boolean {
  return /^upgrade:[ \t]*websocket[ \t]*$/im.test(header) && (/^GET /.test(header) || /^HTTP\/1\.1 101\b/.test(header));
}

/**
 * Creates the decoder for the bytes one side of a TCP connection sent, in order.
 * @example const p = createStreamPayload(); for (const e of p.push(chunk)) …
 */
export function createStreamPayload(): StreamPayload {
  let kind: StreamPayload['kind'] = 'detect';
  const pending = new ByteQueue();
  let framer: StreamFramer | undefined;
  let ws: WsDecoder | undefined;

  function sip(chunk: Uint8Array, transport: 'TCP'): StreamEvent[] {
    try {
      return (framer ?? (framer = createStreamFramer())).push(chunk).map((data) => ({ kind: 'sip', transport, data }));
    } catch (e) {
      kind = 'lost';
      return [{ kind: 'error', reason: isSipParseError(e) ? `SIP framing: ${e.code}` : 'SIP framing failed' }];
    }
  }

  function websocket(chunk: Uint8Array): StreamEvent[] {
    ws ??= createWsDecoder();
    return ws.push(chunk).map((e): StreamEvent => {
      if (e.kind === 'message') return startsWithSipLine(e.data) ? { kind: 'sip', transport: 'WS', data: e.data } : { kind: 'not-sip' };
      if (e.kind === 'error') return { kind: 'error', reason: `WebSocket: ${e.reason}` };
      // RFC 7692 permessage-deflate is not inflated here: the message is counted as dropped.
      if (e.kind === 'compressed') return { kind: 'error', reason: 'WebSocket: a compressed message' };
      return { kind: 'not-sip' };
    });
  }

  function detect(): StreamEvent[] {
    const b = pending.bytes;
    if (kind === 'detect') {
      if (b.length > 0 && isKeepAlive(b)) return [];
      if (firstLineIncomplete(b)) return [];
      if (b[0] === 0x0d || b[0] === 0x0a || startsWithSipLine(b)) {
        kind = 'sip';
        const all = b.slice();
        pending.clear();
        return sip(all, 'TCP');
      }
      const text = dec.decode(b.subarray(0, 16));
      if (!text.startsWith('GET ') && !text.startsWith('HTTP/1.1 101')) {
        kind = 'other';
        pending.clear();
        return [{ kind: 'not-sip' }];
      }
      kind = 'http';
    }
    const end = headerEnd(b);
    if (end === -1) {
      if (b.length <= MAX_HTTP_HEADER) return [];
      kind = 'other';
      pending.clear();
      return [{ kind: 'not-sip' }];
    }
    const upgrade = isUpgrade(dec.decode(b.subarray(0, end)));
    const rest = b.slice(end);
    pending.clear();
    if (!upgrade) {
      kind = 'other';
      return [{ kind: 'not-sip' }];
    }
    kind = 'ws';
    return rest.length > 0 ? websocket(rest) : [];
  }

  return {
    push(chunk) {
      switch (kind) {
        case 'sip':
          return sip(chunk, 'TCP');
        case 'ws':
          return websocket(chunk);
        case 'other':
        case 'lost':
          return [];
        case 'detect':
        case 'http':
          pending.append(chunk);
          return detect();
      }
    },
    gap() {
      if (kind === 'sip' || kind === 'ws') {
        kind = 'lost';
        return [{ kind: 'error', reason: 'bytes missing from the TCP stream' }];
      }
      return [];
    },
    get kind() {
      return kind;
    },
  };
}
