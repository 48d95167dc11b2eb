/**
 * Helpers for the transport-layer socket tests: raw UDP/TCP peers on loopback, SIP text builders,
 * certificates made with openssl at test time, and cleanup so vitest exits.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamFramer, parseMessage, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, TransportHandlers } from '../src/index.js';
import { createTransportLayer, type TransportLayer, type TransportOptions } from '../src/node/index.js';

const enc = new TextEncoder();

/** Things to close after each test. */
const cleanups: (() => Promise<void> | void)[] = [];

/** Runs and forgets every registered cleanup (call from afterEach). */
export async function cleanup(): Promise<void> {
  const all = cleanups.splice(0).reverse();
  for (const fn of all) {
    try {
      await fn();
    } catch {
      // already closed
    }
  }
}

/** Waits until `cond()` is true, checking every 10 ms, at most `ms` (then throws). */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Recorded traffic of a test layer. */
export interface Recorded {
  requests: { request: SipRequest; remote: Remote }[];
  responses: { response: SipResponse; remote: Remote }[];
  flowsClosed: { flowId: string; remote: Remote }[];
}

/**
 * Starts a layer on loopback with ephemeral ports (UDP and TCP unless overridden), recording
 * what it receives; `onRequest` may answer. Stopped in cleanup.
 */
export async function startLayer(
  options: TransportOptions,
  onRequest?: (layer: TransportLayer, request: SipRequest, remote: Remote) => void,
): Promise<{ layer: TransportLayer; got: Recorded }> {
  const got: Recorded = { requests: [], responses: [], flowsClosed: [] };
  const holder: { layer?: TransportLayer } = {};
  const handlers: TransportHandlers = {
    onRequest(request, remote) {
      got.requests.push({ request, remote });
      if (onRequest !== undefined && holder.layer !== undefined) onRequest(holder.layer, request, remote);
    },
    onResponse(response, remote) {
      got.responses.push({ response, remote });
    },
    onFlowClosed(flowId, remote) {
      got.flowsClosed.push({ flowId, remote });
    },
  };
  const layer = createTransportLayer({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, ...options }, handlers);
  holder.layer = layer;
  cleanups.push(() => layer.stop());
  await layer.start();
  return { layer, got };
}

/** The port a started layer listens on for `protocol`. */
export function portOf(layer: TransportLayer, protocol: string): number {
  const l = layer.listening.find((x) => x.protocol === protocol);
  if (l === undefined) throw new Error(`no ${protocol} listener`);
  return l.port;
}

let seq = 0;

/** A request's text. */
export function requestText(opts: { method?: string; via: string; uri?: string; callId?: string; extra?: string; body?: string }): string {
  const method = opts.method ?? 'OPTIONS';
  const body = opts.body ?? '';
  seq++;
  return (
    `${method} ${opts.uri ?? 'sip:bob@127.0.0.1'} SIP/2.0\r\n` +
    `Via: ${opts.via}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\n' +
    'To: <sip:bob@127.0.0.1>\r\n' +
    `Call-ID: ${opts.callId ?? `call-${String(seq)}`}\r\n` +
    `CSeq: ${String(seq)} ${method}\r\n` +
    (opts.extra ?? '') +
    `Content-Length: ${String(enc.encode(body).length)}\r\n\r\n` +
    body
  );
}

/** A request object to send with the layer. */
export function request(uri: string, extra = '', method = 'OPTIONS'): SipRequest {
  seq++;
  return parseMessage(
    `${method} ${uri} SIP/2.0\r\nMax-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <${uri}>\r\nCall-ID: out-${String(seq)}\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`,
  ) as SipRequest;
}

/** A raw UDP peer that queues what it receives. */
export interface UdpPeer {
  socket: UdpSocket;
  port: number;
  received: { text: string; port: number; address: string }[];
  send(text: string | Uint8Array, port: number, address?: string): Promise<void>;
  next(ms?: number): Promise<{ text: string; message: SipMessage; port: number; address: string }>;
}

export async function udpPeer(address = '127.0.0.1', port = 0): Promise<UdpPeer> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: UdpPeer['received'] = [];
  socket.on('message', (msg, rinfo) => received.push({ text: msg.toString('latin1'), port: rinfo.port, address: rinfo.address }));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      resolve();
    });
  });
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  let taken = 0;
  return {
    socket,
    port: socket.address().port,
    received,
    send: (text, toPort, toAddress = address) =>
      new Promise<void>((resolve, reject) => {
        socket.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, toPort, toAddress, (err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
    async next(ms = 5000) {
      await waitFor(() => received.length > taken, ms, 'a datagram');
      const r = received[taken++]!;
      return { ...r, message: parseMessage(r.text) };
    },
  };
}

/** A raw TCP client (or an accepted socket) that frames what it receives. */
export interface StreamPeer {
  socket: Socket;
  raw: string;
  messages: string[];
  closed: boolean;
  send(text: string | Uint8Array): void;
  next(ms?: number): Promise<SipMessage>;
  whenClosed(ms?: number): Promise<void>;
}

export function streamPeer(socket: Socket): StreamPeer {
  const framer = createStreamFramer();
  let taken = 0;
  const peer: StreamPeer = {
    socket,
    raw: '',
    messages: [],
    closed: false,
    send(text) {
      socket.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
    },
    async next(ms = 5000) {
      await waitFor(() => peer.messages.length > taken, ms, 'a message');
      return parseMessage(peer.messages[taken++]!, { framing: 'stream' });
    },
    async whenClosed(ms = 5000) {
      await waitFor(() => peer.closed, ms, 'the connection to close');
    },
  };
  socket.on('data', (chunk: Buffer) => {
    peer.raw += chunk.toString('latin1');
    try {
      for (const f of framer.push(chunk)) peer.messages.push(Buffer.from(f).toString('latin1'));
    } catch {
      // the tests look at raw
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    peer.closed = true;
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return peer;
}

export async function tcpClient(port: number, address = '127.0.0.1'): Promise<StreamPeer> {
  const socket = connect({ port, host: address });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      resolve();
    });
    socket.once('error', reject);
  });
  return streamPeer(socket);
}

/** A raw TCP server whose accepted connections are stream peers. */
export async function tcpServer(address = '127.0.0.1', port = 0): Promise<{ server: Server; port: number; peers: StreamPeer[] }> {
  const peers: StreamPeer[] = [];
  const server = createServer((s) => peers.push(streamPeer(s)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      resolve();
    });
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const p of peers) p.socket.destroy();
        server.close(() => r());
      }),
  );
  const a = server.address();
  return { server, port: typeof a === 'object' && a !== null ? a.port : 0, peers };
}

/** PEM text of a test CA, a server certificate it signed (localhost, 127.0.0.1, ::1), and an untrusted self-signed one. */
export interface TestCerts {
  ca: string;
  key: string;
  cert: string;
  otherKey: string;
  otherCert: string;
}

/** Makes a throwaway CA and certificates with openssl in a temporary directory. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sipts-certs-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sipts test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt'), otherKey: read('other.key'), otherCert: read('other.crt') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
