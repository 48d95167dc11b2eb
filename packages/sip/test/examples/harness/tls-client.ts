/**
 * A SIP client over TLS written for these tests (sipp has no TLS): a node:tls connection that
 * verifies the server against a given CA, frames what it receives by Content-Length (RFC 3261
 * §18.3), and waits for the final response to each request it sends.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { requestFinal } from './final-response.js';
import { parseWire, type WireMessage } from './wire.js';

/** A self-signed certificate for 127.0.0.1, made with Debian's openssl; the PEM file paths. */
export function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore', timeout: 20_000 });
  return { key, cert };
}

/** A connected TLS client. */
export interface TlsClient {
  socket: TLSSocket;
  /** Every message received so far. */
  received: WireMessage[];
  /** Sends a request and resolves with its final response (rejects after `ms`). */
  request: (text: string, ms?: number) => Promise<WireMessage>;
  send: (text: string) => void;
  close: () => void;
}

/** Connects to 127.0.0.1:port, trusting only `ca` (PEM). */
export async function connectTls(port: number, ca: Buffer): Promise<TlsClient> {
  const socket = connect({ host: '127.0.0.1', port, ca, servername: undefined });
  await once(socket, 'secureConnect'); // rejects on an 'error' first
  socket.on('error', () => undefined);
  const received: WireMessage[] = [];
  const waiters = new Set<() => void>();
  let buffer = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    for (;;) {
      while (buffer.length >= 2 && buffer[0] === 13 && buffer[1] === 10) buffer = buffer.subarray(2);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/^(?:content-length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? '0');
      if (buffer.length < end + 4 + length) break;
      received.push(parseWire(buffer.subarray(0, end + 4 + length).toString('latin1'), 'received', 'TLS'));
      buffer = buffer.subarray(end + 4 + length);
    }
    for (const w of waiters) w();
  });
  const send = (text: string) => {
    socket.write(Buffer.from(text, 'latin1'));
  };
  return {
    socket,
    received,
    send,
    close: () => {
      socket.destroy();
    },
    request: (text, ms = 10_000) =>
      requestFinal({ received, waiters }, send, text, { ms, sameCSeq: true, detail: () => `; got ${received.map((m) => m.startLine).join(' | ')}` }),
  };
}

/** A fresh branch (RFC 3261 §8.1.1.7 magic cookie). */
export function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** A request over TLS from the client's connection (local port `local`). */
export function tlsRequest(o: { method: string; uri: string; user: string; local: number; branch: string; callId: string; seq?: number; contact?: string; toTag?: string }): string {
  const lines = [
    `${o.method} ${o.uri} SIP/2.0`,
    `Via: SIP/2.0/TLS 127.0.0.1:${o.local};branch=${o.branch}`,
    `From: <sips:caller@127.0.0.1>;tag=${o.callId.slice(0, 8)}`,
    `To: <sips:${o.user}@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.seq ?? 1} ${o.method}`,
    ...(o.contact ? [`Contact: <${o.contact}>`] : []),
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\r\n');
}
