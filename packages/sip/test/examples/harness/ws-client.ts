/**
 * A SIP user agent over WebSocket (RFC 7118) written for these tests with the `ws` package: it
 * registers with SIP outbound parameters (RFC 5626 §4.2: +sip.instance and reg-id), answers the
 * requests it is sent through a handler, and keeps every message it received.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';
import { requestFinal } from './final-response.js';
import { parseWire, type WireMessage } from './wire.js';

/** A received message with its text, so that responses can copy header lines verbatim. */
export interface WsReceived extends WireMessage {
  text: string;
}

/** A connected WebSocket UA. */
export interface WsClient {
  ws: WebSocket;
  /** The protocol the server chose (RFC 7118 §4: `sip`). */
  protocol: string;
  received: WsReceived[];
  /** The host this UA puts in its Via and Contact (RFC 7118 §5.2: a random `.invalid` name). */
  host: string;
  instance: string;
  /** Sends a request; resolves with its final response. */
  request: (text: string, ms?: number) => Promise<WsReceived>;
  /** Builds a response to `rq` that copies its Via, Record-Route, From, To, Call-ID and CSeq lines. */
  response: (rq: WsReceived, status: number, reason: string, extra?: string[]) => string;
  send: (text: string) => void;
  /** Called for every request that arrives. */
  onRequest: (handler: (rq: WsReceived) => void) => void;
  close: () => Promise<void>;
}

/** Connects to ws://127.0.0.1:port offering the `sip` subprotocol. */
export async function connectWs(port: number): Promise<WsClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, 'sip');
  await once(ws, 'open'); // rejects on an 'error' first
  ws.on('error', () => undefined);
  const received: WsReceived[] = [];
  const waiters = new Set<() => void>();
  let handler: (rq: WsReceived) => void = () => undefined;
  ws.on('message', (data: WebSocket.RawData) => {
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString('utf8');
    const m = { ...parseWire(text, 'received', 'WS'), text };
    received.push(m);
    if (m.status === undefined) handler(m);
    for (const w of waiters) w();
  });
  const send = (text: string) => {
    ws.send(text);
  };
  return {
    ws,
    protocol: ws.protocol,
    received,
    host: `${randomBytes(6).toString('hex')}.invalid`,
    instance: `<urn:uuid:${randomUUID()}>`,
    send,
    onRequest: (h) => {
      handler = h;
    },
    request: (text, ms = 10_000) => requestFinal({ received, waiters }, send, text, { ms }),
    response: (rq, status, reason, extra = []) => {
      const lines = rq.text.split('\r\n\r\n')[0]!.split('\r\n').slice(1);
      const keep = lines.filter((l) => /^(via|v|record-route|from|f|call-id|i|cseq)\s*:/i.test(l));
      const to = lines.find((l) => /^(to|t)\s*:/i.test(l)) ?? 'To: <sip:unknown@invalid>';
      const tagged = /;\s*tag=/i.test(to) ? to : `${to};tag=${randomBytes(4).toString('hex')}`;
      return [`SIP/2.0 ${status} ${reason}`, ...keep, tagged, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) {
          resolve();
          return;
        }
        ws.once('close', () => { resolve(); });
        ws.close();
        setTimeout(() => { ws.terminate(); }, 1000).unref();
      }),
  };
}

/** An outbound REGISTER for `user` over WebSocket (RFC 7118 §5, RFC 5626 §4.2). */
export function wsRegister(c: WsClient, o: { port: number; user: string; expires?: number; seq?: number; callId: string; outbound?: boolean }): string {
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  return [
    `REGISTER sip:127.0.0.1:${o.port} SIP/2.0`,
    `Via: SIP/2.0/WS ${c.host};branch=${branch}`,
    `From: <sip:${o.user}@127.0.0.1>;tag=${o.callId.slice(0, 8)}`,
    `To: <sip:${o.user}@127.0.0.1>`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.seq ?? 1} REGISTER`,
    `Contact: <sip:${o.user}@${c.host};transport=ws>${o.outbound === false ? '' : `;+sip.instance="${c.instance}";reg-id=1`}`,
    'Supported: path, outbound',
    `Expires: ${o.expires ?? 300}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
