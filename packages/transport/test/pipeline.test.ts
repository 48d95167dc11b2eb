/**
 * The one receive pipeline (neutral), driven directly with bytes and a recording source, as every
 * transport drives it: 400s built in one place, drops counted, malformed messages counted per
 * connection and the connection closed at the limit, handlers that throw contained.
 */
import { parseMessage, type SipResponse } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { createReceiver, DEFAULT_TRANSPORT_LIMITS, newTransportStats, silentLogger, type MessageSource, type Remote, type TransportHandlers } from '../src/index.js';

const REMOTE: Remote = { protocol: 'TCP', address: '192.0.2.7', port: 5090, local: { address: '127.0.0.1', port: 5060 }, flowId: 'TCP/1' };
const enc = new TextEncoder();

function text(opts: { method?: string; callId?: boolean; via?: string } = {}): Uint8Array {
  const method = opts.method ?? 'OPTIONS';
  return enc.encode(
    `${method} sip:bob@127.0.0.1 SIP/2.0\r\nVia: ${opts.via ?? 'SIP/2.0/TCP peer.example.com:5090;branch=z9hG4bKp1'}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>\r\n` +
      (opts.callId === false ? '' : 'Call-ID: c1\r\n') +
      `CSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`,
  );
}

function setup(handlers: Partial<TransportHandlers> = {}, replyThrows = false) {
  const got: { requests: number; responses: number } = { requests: 0, responses: 0 };
  const replies: SipResponse[] = [];
  let closed = 0;
  const stats = newTransportStats();
  const source: MessageSource = {
    framing: 'stream',
    reply(bytes) {
      if (replyThrows) throw new Error('connection gone');
      replies.push(parseMessage(bytes) as SipResponse);
    },
    close() {
      closed++;
    },
  };
  const receive = createReceiver<MessageSource>({
    limits: { ...DEFAULT_TRANSPORT_LIMITS, maxMalformedPerConnection: 3 },
    logger: silentLogger,
    trace: undefined,
    stats,
    handlers: {
      onRequest: () => {
        got.requests++;
      },
      onResponse: () => {
        got.responses++;
      },
      ...handlers,
    },
  });
  return { receive: (b: Uint8Array) => receive(b, REMOTE, source), got, replies, stats, closed: () => closed };
}

describe('createReceiver', () => {
  it('answers a request missing Call-ID with the 400 (Warning names it) and never hands it up', () => {
    const s = setup();
    s.receive(text({ callId: false }));
    expect(s.replies.map((r) => r.status)).toEqual([400]);
    expect(s.replies[0]!.headers.warning).toBe('399 - "missing Call-ID header"');
    expect(s.replies[0]!.headers.to?.params.tag).toMatch(/^[a-z2-7]{16}$/);
    expect(s.got.requests).toBe(0);
    expect(s.stats).toMatchObject({ badRequestsAnswered: 1, messagesSent: 1, requestsReceived: 0 });
  });

  it('stamps received on a valid request and counts it', () => {
    let via: unknown;
    const s = setup({ onRequest: (rq) => (via = rq.headers.via?.[0]?.params.received) });
    s.receive(text());
    expect(via).toBe('192.0.2.7');
    expect(s.stats.requestsReceived).toBe(1);
  });

  it('closes a connection at its third malformed message, once', () => {
    const s = setup();
    s.receive(enc.encode('garbage\r\n\r\n'));
    s.receive(text({ callId: false }));
    expect(s.closed()).toBe(0);
    s.receive(text({ method: 'ACK', callId: false }));
    expect(s.closed()).toBe(1);
    s.receive(enc.encode('more garbage\r\n\r\n'));
    expect(s.closed()).toBe(1);
    expect(s.stats).toMatchObject({ dropped: 3, badRequestsAnswered: 1, connectionsRejected: 1 });
  });

  it('a reply that throws is counted, not thrown; a throwing handler is contained', () => {
    const s = setup({ onRequest: () => { throw new Error('app bug'); } }, true);
    expect(() => {
      s.receive(text({ callId: false }));
      s.receive(text());
    }).not.toThrow();
    expect(s.stats).toMatchObject({ sendErrors: 1, messagesSent: 0, requestsReceived: 1 });
  });
});
