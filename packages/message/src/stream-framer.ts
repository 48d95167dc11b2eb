/**
 * Framing SIP messages on byte streams (TCP, TLS; RFC 3261 §18.3): Content-Length is mandatory,
 * CRLF keep-alives between messages (RFC 5626 §4.4.1) are skipped, and every byte is scanned
 * once however the stream is chunked (the classic library rescans the buffer per chunk).
 */
import { copyBytes } from './byte-pool.js';
import { SipParseError } from './errors.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';

const CR = 0x0d;
const LF = 0x0a;

/** Splits a byte stream into whole SIP messages. */
export interface StreamFramer {
  /**
   * Adds bytes and returns the messages they complete (each a copy of its bytes, header and body).
   * @throws SipParseError on a framing error (missing or bad Content-Length, a limit exceeded): the
   * stream cannot be resynchronised and must be closed. Every later call throws the same error.
   */
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held for an incomplete message. */
  readonly buffered: number;
  /** Keep-alive CRLFs skipped so far. */
  readonly keepAlives: number;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function isWsp(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Reads Content-Length (or its compact form `l`) from the header section `buf[from, to)`, where
 * `to` is the index of the final CRLFCRLF. Returns -1 when it is absent.
 */
function contentLengthOf(buf: Uint8Array, from: number, to: number, offset: number): number {
  let found = -1;
  let i = buf.indexOf(LF, from) + 1; // skip the start line
  while (i > 0 && i < to + 2) {
    const eol = buf.indexOf(LF, i);
    const lineEnd = eol === -1 || eol > to + 2 ? to + 2 : eol;
    let nameEnd = i;
    while (nameEnd < lineEnd && buf[nameEnd] !== 0x3a && !isWsp(buf[nameEnd])) nameEnd++;
    const len = nameEnd - i;
    let match = false;
    if (len === 1) match = lower(buf[i] ?? 0) === 0x6c;
    else if (len === 14) {
      match = true;
      const word = 'content-length';
      for (let k = 0; k < 14; k++) if (lower(buf[i + k] ?? 0) !== word.charCodeAt(k)) match = false;
    }
    if (match) {
      let j = nameEnd;
      while (isWsp(buf[j])) j++;
      if (buf[j] === 0x3a) {
        j++;
        // value, allowing folding (CRLF followed by whitespace)
        for (;;) {
          while (isWsp(buf[j])) j++;
          if (buf[j] === CR && buf[j + 1] === LF && isWsp(buf[j + 2])) j += 2;
          else break;
        }
        let value = 0;
        const digitsStart = j;
        for (let c = buf[j] ?? 0; c >= 0x30 && c <= 0x39 && j - digitsStart < 16; c = buf[++j] ?? 0) value = value * 10 + (c - 0x30);
        while (isWsp(buf[j])) j++;
        if (j === digitsStart || buf[j] !== CR) {
          throw new SipParseError('invalid-content-length', 'Content-Length is not a number of bytes', offset + digitsStart - from);
        }
        // Two Content-Length headers, even equal ones, make the framing ambiguous (RFC 3261 §20.14).
        if (found !== -1) throw new SipParseError('multiple-content-length', 'more than one Content-Length', offset + i - from);
        found = value;
      }
    }
    i = lineEnd + 1;
  }
  return found;
}

/**
 * Creates a framer for one stream connection.
 * @example
 * const framer = createStreamFramer();
 * socket.on('data', (chunk) => { for (const frame of framer.push(chunk)) handle(parseMessage(frame, { framing: 'stream' })) });
 * @see RFC 3261 §18.3
 */
export function createStreamFramer(limits: ParseLimits = {}): StreamFramer {
  const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  let buf = new Uint8Array(4096);
  let start = 0; // first unconsumed byte
  let end = 0; // end of data
  let scanned = 0; // bytes from `start` already searched for CRLFCRLF
  let bodyStart = -1; // once the header is complete: where the body starts
  let bodyLength = 0;
  let consumedTotal = 0; // stream offset of `start`, for error offsets
  let keepAlives = 0;
  let failure: SipParseError | undefined;

  function append(chunk: Uint8Array): void {
    if (end + chunk.length > buf.length) {
      const live = end - start;
      if (start > 0 && live + chunk.length <= buf.length && start >= buf.length / 2) {
        buf.copyWithin(0, start, end);
      } else {
        const grown = new Uint8Array(Math.max(buf.length * 2, live + chunk.length));
        grown.set(buf.subarray(start, end), 0);
        buf = grown;
      }
      if (bodyStart !== -1) bodyStart -= start;
      end = live;
      start = 0;
    }
    buf.set(chunk, end);
    end += chunk.length;
  }

  function frames(): Uint8Array[] {
    const out: Uint8Array[] = [];
    // Searches run on a view that ends where the data ends: the spare capacity after it must never
    // be scanned, or every push would cost the whole buffer (quadratic).
    const data = buf.subarray(0, end);
    for (;;) {
      if (bodyStart === -1) {
        // Keep-alives: CRLFs between messages.
        while (end - start >= 2 && buf[start] === CR && buf[start + 1] === LF) {
          start += 2;
          consumedTotal += 2;
          keepAlives++;
          scanned = 0;
        }
        if (end - start < 4) return out;
        let i = start + Math.max(0, scanned - 3);
        let headerEnd = -1;
        for (;;) {
          i = data.indexOf(LF, i + 1);
          if (i === -1 || i + 2 >= end) break;
          if (buf[i - 1] === CR && buf[i + 1] === CR && buf[i + 2] === LF) {
            headerEnd = i - 1;
            break;
          }
        }
        if (headerEnd === -1) {
          scanned = end - start;
          if (scanned > maxHeaderBytes) {
            throw new SipParseError('header-too-large', `header section exceeds ${String(maxHeaderBytes)} bytes`, consumedTotal + maxHeaderBytes);
          }
          return out;
        }
        if (headerEnd - start > maxHeaderBytes) {
          throw new SipParseError('header-too-large', `header section exceeds ${String(maxHeaderBytes)} bytes`, consumedTotal + maxHeaderBytes);
        }
        const length = contentLengthOf(data, start, headerEnd, consumedTotal);
        if (length === -1) throw new SipParseError('missing-content-length', 'Content-Length is required on stream transports', consumedTotal + headerEnd - start);
        if (length > maxBodyBytes) throw new SipParseError('body-too-large', `body of ${String(length)} bytes exceeds ${String(maxBodyBytes)}`, consumedTotal + headerEnd - start);
        bodyStart = headerEnd + 4;
        bodyLength = length;
      }
      if (end - bodyStart < bodyLength) return out;
      const frameEnd = bodyStart + bodyLength;
      out.push(copyBytes(buf.subarray(start, frameEnd)));
      consumedTotal += frameEnd - start;
      start = frameEnd;
      bodyStart = -1;
      scanned = 0;
      if (start === end) start = end = 0;
    }
  }

  return {
    push(chunk: Uint8Array): Uint8Array[] {
      if (failure !== undefined) throw failure;
      append(chunk);
      try {
        return frames();
      } catch (e) {
        if (e instanceof SipParseError) failure = e;
        throw e;
      }
    },
    get buffered() {
      return end - start;
    },
    get keepAlives() {
      return keepAlives;
    },
  };
}
