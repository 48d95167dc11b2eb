/**
 * Stream framing (RFC 3261 §18.3; RFC 5626 §4.4.1 keep-alives): createStreamFramer and the
 * classic makeStreamParser.
 */
import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  createStreamFramer,
  makeStreamParser,
  parseMessage,
  type Parsed,
  type SipMessage,
  type StreamFramer,
} from './index.js';
import { bytesOf as concat } from '../test/helpers.js';

const enc = new TextEncoder();


/** An INVITE whose body holds CRLFCRLF and non-ASCII text, so only Content-Length can frame it. */
const BODY = 'v=0\r\n\r\ns=ü€\r\n';
const MSG1 = enc.encode(
  'INVITE sip:bob@biloxi.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n' +
    'From: <sip:alice@atlanta.com>;tag=1\r\n' +
    'To: <sip:bob@biloxi.com>\r\n' +
    'Call-ID: a84b4c76e66710\r\n' +
    'CSeq: 1 INVITE\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${String(enc.encode(BODY).length)}\r\n` +
    '\r\n' +
    BODY,
);
const MSG2 = enc.encode(
  'BYE sip:bob@biloxi.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK777\r\n' +
    'From: <sip:alice@atlanta.com>;tag=1\r\n' +
    'To: <sip:bob@biloxi.com>;tag=2\r\n' +
    'Call-ID: a84b4c76e66710\r\n' +
    'CSeq: 2 BYE\r\n' +
    'l: 0\r\n' +
    '\r\n',
);
const STREAM = concat(MSG1, MSG2);

/** Pushes each chunk and collects every frame. */
function pushAll(framer: StreamFramer, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) out.push(...framer.push(c));
  return out;
}

/** True when `frames` are exactly `expected`, byte for byte (faster than toEqual in tight loops). */
function sameFrames(frames: Uint8Array[], expected: Uint8Array[]): boolean {
  if (frames.length !== expected.length) return false;
  return frames.every((f, i) => {
    const e = expected[i];
    return e !== undefined && f.length === e.length && f.every((b, j) => b === e[j]);
  });
}

function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

function pushError(framer: StreamFramer, chunk: Uint8Array): SipParseError {
  try {
    framer.push(chunk);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}

describe('createStreamFramer: splitting', () => {
  it('frames two messages pushed at once', () => {
    const framer = createStreamFramer();
    expect(framer.push(STREAM)).toEqual([MSG1, MSG2]);
    expect(framer.buffered).toBe(0);
    expect(framer.keepAlives).toBe(0);
  });

  it('frames two messages split at every byte offset', () => {
    const failures: number[] = [];
    for (let k = 0; k <= STREAM.length; k++) {
      const framer = createStreamFramer();
      const frames = pushAll(framer, [STREAM.slice(0, k), STREAM.slice(k)]);
      if (!sameFrames(frames, [MSG1, MSG2]) || framer.buffered !== 0) failures.push(k);
    }
    expect(failures).toEqual([]);
  });

  it('frames two messages split into three pieces at every pair of offsets around the first boundary', () => {
    const boundary = MSG1.length;
    const failures: [number, number][] = [];
    for (let a = boundary - 30; a <= boundary; a++) {
      for (let b = boundary; b <= boundary + 30; b++) {
        const frames = pushAll(createStreamFramer(), [STREAM.slice(0, a), STREAM.slice(a, b), STREAM.slice(b)]);
        if (!sameFrames(frames, [MSG1, MSG2])) failures.push([a, b]);
      }
    }
    expect(failures).toEqual([]);
  });

  it('frames one byte at a time, releasing each message on its last byte', () => {
    const framer = createStreamFramer();
    const seen: [number, Uint8Array][] = [];
    for (let i = 0; i < STREAM.length; i++) {
      for (const f of framer.push(STREAM.slice(i, i + 1))) seen.push([i, f]);
      if (seen.length === 0) expect(framer.buffered).toBe(i + 1);
    }
    expect(seen).toEqual([
      [MSG1.length - 1, MSG1],
      [STREAM.length - 1, MSG2],
    ]);
    expect(framer.buffered).toBe(0);
  });

  it('gives frames that parseMessage reads with stream framing', () => {
    const [f1, f2] = createStreamFramer().push(STREAM);
    if (f1 === undefined || f2 === undefined) throw new Error('expected two frames');
    const m1 = parseMessage(f1, { framing: 'stream' });
    const m2 = parseMessage(f2, { framing: 'stream' });
    expect(m1.method).toBe('INVITE');
    expect(m1.content).toBe(BODY);
    expect(m2.method).toBe('BYE');
    expect(m2.content).toBe('');
  });

  it('frames many messages in one chunk', () => {
    const many = concat(...Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? MSG1 : MSG2)));
    const frames = createStreamFramer().push(many);
    expect(frames).toHaveLength(50);
    frames.forEach((f, i) => {
      expect(f).toEqual(i % 2 === 0 ? MSG1 : MSG2);
    });
  });

  it('holds an incomplete message and reports its size', () => {
    const framer = createStreamFramer();
    expect(framer.push(STREAM.slice(0, 100))).toEqual([]);
    expect(framer.buffered).toBe(100);
    expect(framer.push(STREAM.slice(100, MSG1.length + 10))).toEqual([MSG1]);
    expect(framer.buffered).toBe(10);
  });

  it('returns copies: later pushes and changes to the chunk do not alter a frame', () => {
    const framer = createStreamFramer();
    const chunk = STREAM.slice();
    const frames = framer.push(chunk.subarray(0, MSG1.length + 5));
    chunk.fill(0x41);
    framer.push(MSG2.slice(5));
    framer.push(MSG1);
    expect(frames).toEqual([MSG1]);
  });

  it('frames a large body arriving in odd-sized chunks (buffer growth)', () => {
    const body = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff);
    const msg = concat('MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 20000\r\n\r\n', body);
    const stream = concat(MSG2, msg, MSG1, msg, MSG2);
    const frames = pushAll(createStreamFramer(), chunksOf(stream, 997));
    expect(frames).toEqual([MSG2, msg, MSG1, msg, MSG2]);
  });

  it('frames a long stream in irregular chunks (buffer reuse and compaction)', () => {
    const messages = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? MSG1 : MSG2));
    const stream = concat(...messages);
    const sizes = [997, 13, 501, 1, 2048, 64];
    const chunks: Uint8Array[] = [];
    for (let at = 0, n = 0; at < stream.length; n++) {
      const size = sizes[n % sizes.length] ?? 1;
      chunks.push(stream.slice(at, at + size));
      at += size;
    }
    const framer = createStreamFramer();
    expect(sameFrames(pushAll(framer, chunks), messages)).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('frames a binary body byte for byte', () => {
    const body = Uint8Array.from({ length: 256 }, (_, i) => i);
    const msg = concat('MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 256\r\n\r\n', body);
    for (const size of [1, 3, 64, 1000]) {
      const frames = pushAll(createStreamFramer(), chunksOf(concat(msg, MSG2), size));
      expect(frames, `chunks of ${String(size)}`).toEqual([msg, MSG2]);
      const [frame] = frames;
      if (frame === undefined) throw new Error('no frame');
      const m = parseMessage(frame, { framing: 'stream' });
      expect(m.content).toBeInstanceOf(Uint8Array);
      expect(m.content).toEqual(body);
    }
  });

  it.each([
    ['Content-Length: 3'],
    ['content-length: 3'],
    ['CONTENT-LENGTH:3'],
    ['l: 3'],
    ['L:3'],
    ['Content-Length : 3'],
    ['Content-Length: 3  '],
    ['Content-Length:\r\n 3'],
  ])('reads the body length from %j', (line) => {
    const msg = enc.encode(`MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\n${line}\r\nX-After: 1\r\n\r\nabc`);
    expect(pushAll(createStreamFramer(), [...chunksOf(msg, 5), MSG2])).toEqual([msg, MSG2]);
  });

  it('is not fooled by Content-Length text inside another header or the body', () => {
    const msg = enc.encode('MESSAGE sip:b@x SIP/2.0\r\nX-Note: Content-Length: 99\r\nContent-Length: 23\r\n\r\nContent-Length: 5\r\n\r\nab');
    expect(createStreamFramer().push(concat(msg, MSG2))).toEqual([msg, MSG2]);
  });
});

describe('createStreamFramer: keep-alives (RFC 5626 §4.4.1)', () => {
  it('skips CRLFs before, between and after messages and counts them', () => {
    const stream = concat('\r\n\r\n', MSG1, '\r\n', MSG2, '\r\n');
    const framer = createStreamFramer();
    expect(framer.push(stream)).toEqual([MSG1, MSG2]);
    expect(framer.keepAlives).toBe(4);
    expect(framer.buffered).toBe(0);
  });

  it('skips keep-alives arriving one byte at a time', () => {
    const stream = concat('\r\n\r\n', MSG1, '\r\n', MSG2, '\r\n\r\n');
    const framer = createStreamFramer();
    expect(pushAll(framer, chunksOf(stream, 1))).toEqual([MSG1, MSG2]);
    expect(framer.keepAlives).toBe(5);
    expect(framer.buffered).toBe(0);
  });

  it('answers a keep-alive-only push with no frames', () => {
    const framer = createStreamFramer();
    expect(framer.push(enc.encode('\r\n\r\n'))).toEqual([]);
    expect(framer.keepAlives).toBe(2);
    expect(framer.buffered).toBe(0);
    expect(framer.push(MSG2)).toEqual([MSG2]);
  });

  it('frames keep-alives between messages at every split point', () => {
    const stream = concat(MSG1, '\r\n\r\n', MSG2);
    const failures: number[] = [];
    for (let k = 0; k <= stream.length; k++) {
      const framer = createStreamFramer();
      const frames = pushAll(framer, [stream.slice(0, k), stream.slice(k)]);
      if (!sameFrames(frames, [MSG1, MSG2]) || framer.keepAlives !== 2) failures.push(k);
    }
    expect(failures).toEqual([]);
  });
});

describe('createStreamFramer: errors', () => {
  const head = 'MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\n';

  it('requires Content-Length', () => {
    const framer = createStreamFramer();
    const e = pushError(framer, enc.encode(head + '\r\nabc'));
    expect(e.code).toBe('missing-content-length');
    expect(e.status).toBe(400);
  });

  it.each([['Content-Length: abc'], ['Content-Length: -1'], ['Content-Length: 5x'], ['Content-Length:'], ['l: 1 2'], ['Content-Length: 12345678901234567890']])(
    '%j is an invalid-content-length',
    (line) => {
      expect(pushError(createStreamFramer(), enc.encode(head + line + '\r\n\r\n')).code).toBe('invalid-content-length');
    },
  );

  it('points an invalid-content-length error at the value, counting earlier messages', () => {
    const bad = head + 'Content-Length: abc\r\n\r\n';
    const e = pushError(createStreamFramer(), concat('\r\n', MSG1, bad));
    expect(e.offset).toBe(2 + MSG1.length + bad.indexOf('abc'));
  });

  it('rejects conflicting Content-Length values', () => {
    expect(pushError(createStreamFramer(), enc.encode(head + 'Content-Length: 3\r\nl: 4\r\n\r\nabcd')).code).toBe('multiple-content-length');
  });

  it('rejects a header section over maxHeaderBytes before its end arrives', () => {
    const framer = createStreamFramer({ maxHeaderBytes: 200 });
    expect(framer.push(enc.encode(head))).toEqual([]);
    const e = pushError(framer, enc.encode('X-Long: ' + 'a'.repeat(300)));
    expect(e.code).toBe('header-too-large');
  });

  it('rejects a complete header section over maxHeaderBytes', () => {
    const e = pushError(createStreamFramer({ maxHeaderBytes: 100 }), enc.encode(head + 'X-Long: ' + 'a'.repeat(100) + '\r\nContent-Length: 0\r\n\r\n'));
    expect(e.code).toBe('header-too-large');
  });

  it('accepts a header section within maxHeaderBytes', () => {
    expect(createStreamFramer({ maxHeaderBytes: MSG2.length }).push(MSG2)).toEqual([MSG2]);
  });

  it('rejects a Content-Length over maxBodyBytes as soon as the header section is complete', () => {
    const framer = createStreamFramer({ maxBodyBytes: 10 });
    const e = pushError(framer, enc.encode(head + 'Content-Length: 11\r\n\r\n'));
    expect(e.code).toBe('body-too-large');
  });

  it('accepts a body of exactly maxBodyBytes', () => {
    const msg = enc.encode(head + 'Content-Length: 10\r\n\r\n0123456789');
    expect(createStreamFramer({ maxBodyBytes: 10 }).push(msg)).toEqual([msg]);
  });

  it('delivers the messages before an error, then throws the same error on every later push', () => {
    const framer = createStreamFramer();
    const frames = framer.push(MSG1);
    expect(frames).toEqual([MSG1]);
    const e = pushError(framer, enc.encode(head + 'Content-Length: x\r\n\r\n'));
    expect(e).toBeInstanceOf(SipParseError);
    expect(pushError(framer, MSG2)).toBe(e);
    expect(pushError(framer, enc.encode('\r\n'))).toBe(e);
    expect(pushError(framer, new Uint8Array(0))).toBe(e);
  });
});

describe('makeStreamParser (classic)', () => {
  function collect(maxBytesHeaders?: number, maxContentLength?: number) {
    const messages: Parsed<SipMessage>[] = [];
    const floods: SipParseError[] = [];
    const feed = makeStreamParser(
      (m) => messages.push(m),
      (e) => floods.push(e),
      maxBytesHeaders,
      maxContentLength,
    );
    return { messages, floods, feed };
  }

  it('delivers each parsed message, whatever the chunking', () => {
    for (const size of [1, 7, 100, STREAM.length]) {
      const { messages, floods, feed } = collect();
      for (const c of chunksOf(STREAM, size)) feed(c);
      expect(messages.map((m) => m.method)).toEqual(['INVITE', 'BYE']);
      expect(messages[0]?.content).toBe(BODY);
      expect(floods).toEqual([]);
    }
  });

  it('accepts "binary" string chunks (one character per byte)', () => {
    const { messages, feed } = collect();
    const binary = String.fromCharCode(...STREAM);
    feed(binary.slice(0, 50));
    feed(binary.slice(50));
    expect(messages.map((m) => m.method)).toEqual(['INVITE', 'BYE']);
    expect(messages[0]?.content).toBe(BODY);
  });

  it('delivers a binary body as bytes', () => {
    const body = Uint8Array.from([0xff, 0x00, 0x80]);
    const { messages, feed } = collect();
    feed(concat('MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 3\r\n\r\n', body));
    expect(messages[0]?.content).toEqual(body);
  });

  it('skips a message that does not parse and carries on with the next one', () => {
    const bad = enc.encode('MESSAGE sip:b@x SIP/2.0\r\nCSeq: oops\r\nContent-Length: 4\r\n\r\n\r\n\r\n');
    const { messages, floods, feed } = collect();
    feed(concat(MSG1, bad, MSG2));
    expect(messages.map((m) => m.method)).toEqual(['INVITE', 'BYE']);
    expect(floods).toEqual([]);
  });

  it('calls onFlood once when the headers exceed maxBytesHeaders, then ignores the stream', () => {
    const { messages, floods, feed } = collect(100);
    feed(enc.encode('MESSAGE sip:b@x SIP/2.0\r\nX-Long: ' + 'a'.repeat(200)));
    feed(MSG2);
    expect(floods).toHaveLength(1);
    expect(floods[0]).toBeInstanceOf(SipParseError);
    expect(floods[0]?.code).toBe('header-too-large');
    expect(messages).toEqual([]);
  });

  it('calls onFlood when Content-Length exceeds maxContentLength', () => {
    const { messages, floods, feed } = collect(undefined, 10);
    feed(MSG2);
    feed(enc.encode('MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 11\r\n\r\n'));
    feed(MSG2);
    expect(messages.map((m) => m.method)).toEqual(['BYE']);
    expect(floods.map((e) => e.code)).toEqual(['body-too-large']);
  });

  it('calls onFlood for a message without Content-Length', () => {
    const { messages, floods, feed } = collect();
    feed(enc.encode('OPTIONS sip:b@x SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n'));
    expect(messages).toEqual([]);
    expect(floods.map((e) => e.code)).toEqual(['missing-content-length']);
  });

  it('does not throw without an onFlood callback', () => {
    const seen: string[] = [];
    const feed = makeStreamParser((m) => seen.push(String(m.method)), undefined, 50);
    expect(() => {
      feed(enc.encode('X'.repeat(100)));
      feed(MSG2);
    }).not.toThrow();
    expect(seen).toEqual([]);
  });
});

describe('createStreamFramer: linear time', () => {
  /**
   * Counts the bytes that `Uint8Array#indexOf` (the framer's only search) looks at while `f` runs.
   * No clock: the count is exact, so the test cannot flake on a busy machine.
   */
  function bytesSearched(f: () => void): number {
    const original = Uint8Array.prototype.indexOf;
    let searched = 0;
    Uint8Array.prototype.indexOf = function (this: Uint8Array, value: number, from?: number) {
      const start = from ?? 0;
      const found = original.call(this, value, start);
      searched += (found === -1 ? this.length : found + 1) - start;
      return found;
    };
    try {
      f();
    } finally {
      Uint8Array.prototype.indexOf = original;
    }
    return searched;
  }

  it.each([4_000, 64_000, 512_000])('scans each byte a bounded number of times (header of %i bytes, 64-byte chunks)', (size) => {
    const wire = enc.encode(`OPTIONS sip:b@x SIP/2.0\r\nX-Big: ${'v'.repeat(size)}\r\nContent-Length: 0\r\n\r\n`);
    const framer = createStreamFramer({ maxHeaderBytes: 1 << 20 });
    let frames = 0;
    const searched = bytesSearched(() => {
      for (let i = 0; i < wire.length; i += 64) frames += framer.push(wire.subarray(i, i + 64)).length;
    });
    expect(frames).toBe(1);
    // Re-scanning the buffer on every chunk would search about size²/128 bytes.
    expect(searched).toBeLessThan(3 * wire.length);
  });
});

describe('keep-alives before a message (RFC 5626 §4.4.1), as the classic stream-parser tests send them', () => {
  /** Bytes copied by Uint8Array#set and #copyWithin (the framer's only copies) while `f` runs. */
  function bytesCopied(f: () => void): number {
    const set = Uint8Array.prototype.set;
    const copyWithin = Uint8Array.prototype.copyWithin;
    let copied = 0;
    Uint8Array.prototype.set = function (this: Uint8Array, src: ArrayLike<number>, offset?: number) {
      copied += src.length;
      set.call(this, src, offset);
    };
    Uint8Array.prototype.copyWithin = function (this: Uint8Array, target: number, start: number, end?: number) {
      copied += (end ?? this.length) - start;
      return copyWithin.call(this, target, start, end);
    };
    try {
      f();
    } finally {
      Uint8Array.prototype.set = set;
      Uint8Array.prototype.copyWithin = copyWithin;
    }
    return copied;
  }

  const baddate = concat(
    'INVITE sip:user@127.0.0.2 SIP/2.0\r\nTo: sip:user@127.0.0.2\r\nFrom: sip:caller@127.0.0.1;tag=2234923\r\n',
    'Max-Forwards: 70\r\nCall-ID: baddate.239423mnsadf3j23lj42--sedfnm234\r\nCSeq: 1392934 INVITE\r\n',
    'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKkdjuw\r\nDate: Fri, 01 Jan 2010 16:00:00 EST\r\n',
    'Contact: <sip:caller@127.0.0.1>\r\nContent-Length: 0\r\n\r\n',
  );

  it('delivers a baddate INVITE after 20,000 CRLFs in one chunk, with its Date fault', () => {
    const seen: Parsed<SipMessage>[] = [];
    const feed = makeStreamParser((m) => seen.push(m));
    feed(concat('\r\n'.repeat(20_000), baddate));
    expect(seen.map((m) => m.method)).toEqual(['INVITE']);
    expect(seen[0]?.headers.date).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  });

  it.each([1, 2, 3, 64])('skips 20,000 CRLFs fed in %i-byte chunks, copying each byte a bounded number of times', (size) => {
    const wire = concat('\r\n'.repeat(20_000), baddate);
    const framer = createStreamFramer();
    const frames: Uint8Array[] = [];
    const copied = bytesCopied(() => {
      for (let i = 0; i < wire.length; i += size) frames.push(...framer.push(wire.subarray(i, i + size)));
    });
    expect(frames).toHaveLength(1);
    expect(framer.keepAlives).toBe(20_000);
    expect(framer.buffered).toBe(0);
    // Each byte is copied into the buffer once, moved at most a few times, and framed out once.
    expect(copied).toBeLessThan(4 * wire.length);
  });
});
