/**
 * SIP over WebSocket (RFC 7118) on loopback: the Node listener and client (src/node/ws.ts) and the
 * neutral client transport (src/ws-client.ts) driven with the `ws` package's WebSocket class.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeResponse, parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsSocket, WebSocketServer, type RawData } from 'ws';
import { createWsTransport, type WsTransport } from '../src/ws-client.js';
import { createWsPort, wsTarget } from '../src/ws-port.js';
import type { Connection } from '../src/node/connection.js';
import { connectWs, listenWs, type WsListener } from '../src/node/ws.js';
import { DEFAULT_TRANSPORT_LIMITS, type Logger, type Remote } from '../src/types.js';

const limits = DEFAULT_TRANSPORT_LIMITS;
const WAIT_MS = 5000;

/** Items pushed by callbacks, taken in order by the test; every take is bounded in time. */
class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];
  push(item: T): void {
    const w = this.#waiters.shift();
    if (w) w(item);
    else this.#items.push(item);
  }
  get size(): number {
    return this.#items.length;
  }
  next(what = 'an event'): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(done), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_MS);
      const done = (x: T): void => {
        clearTimeout(timer);
        resolve(x);
      };
      this.#waiters.push(done);
    });
  }
}

/** A logger that keeps what it is given (and fails no test by itself). */
function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let seq = 0;
function request(method: string, uri = 'sip:bob@example.com'): SipRequest {
  seq += 1;
  const text =
    `${method} ${uri} SIP/2.0\r\n` +
    `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK${String(seq)}abc\r\n` +
    `Max-Forwards: 70\r\nTo: <${uri}>\r\nFrom: <sip:alice@example.com>;tag=${String(seq)}x\r\n` +
    `Call-ID: call-${String(seq)}@test\r\nCSeq: ${String(seq)} ${method}\r\nContent-Length: 0\r\n\r\n`;
  return parseMessage(text) as SipRequest;
}
const bytesOf = (m: SipMessage): Uint8Array => serializeMessage(m);
const parse = (bytes: Uint8Array): SipMessage => parseMessage(bytes);

interface Server1 {
  listener: WsListener;
  opened: Inbox<Connection>;
  frames: Inbox<{ conn: Connection; bytes: Uint8Array }>;
  closed: Inbox<{ conn: Connection; error: Error | undefined }>;
  framingErrors: Inbox<Error>;
  url: string;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startServer(
  opts: { path?: string; tls?: { key: string; cert: string }; admit?: () => boolean; maxBodyBytes?: number; keepAliveIntervalMs?: number } = {},
): Promise<Server1> {
  const opened = new Inbox<Connection>();
  const frames = new Inbox<{ conn: Connection; bytes: Uint8Array }>();
  const closed = new Inbox<{ conn: Connection; error: Error | undefined }>();
  const framingErrors = new Inbox<Error>();
  const listener = await listenWs(
    {
      port: 0,
      address: '127.0.0.1',
      path: opts.path ?? '/',
      limits: { ...limits, maxBodyBytes: opts.maxBodyBytes ?? limits.maxBodyBytes },
      logger: recordingLogger(),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.keepAliveIntervalMs ? { keepAliveIntervalMs: opts.keepAliveIntervalMs } : {}),
    },
    {
      onOpen: (conn) => {
        opened.push(conn);
        return opts.admit ? opts.admit() : true;
      },
      onFrame: (conn, bytes) => {
        frames.push({ conn, bytes });
      },
      onClose: (conn, error) => {
        closed.push({ conn, error });
      },
      onFramingError: (_conn, error) => {
        framingErrors.push(error);
      },
    },
  );
  cleanups.push(() => listener.close());
  const scheme = opts.tls ? 'wss' : 'ws';
  return { listener, opened, frames, closed, framingErrors, url: `${scheme}://127.0.0.1:${String(listener.port)}${opts.path ?? '/'}` };
}

function clientEvents() {
  const frames = new Inbox<Uint8Array>();
  const closed = new Inbox<Error | undefined>();
  return {
    frames,
    closed,
    events: {
      onFrame: (_c: Connection, bytes: Uint8Array) => {
        frames.push(bytes);
      },
      onClose: (_c: Connection, error?: Error) => {
        closed.push(error);
      },
    },
  };
}

/** A raw `ws` client; resolves with the socket once open or with the refusal status. */
function rawClient(url: string, protocols: string[] | undefined): Promise<{ ws?: WsSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WsSocket(url, protocols) : new WsSocket(url);
    cleanups.push(() => {
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', (e) => {
      reject(e);
    });
    ws.on('open', () => {
      resolve({ ws });
    });
  });
}

describe('listenWs and connectWs', () => {
  it('exchanges a request and a response in both directions over ws://', async () => {
    const server = await startServer();
    const client = clientEvents();
    const conn = await connectWs({ protocol: 'WS', address: '127.0.0.1', port: server.listener.port }, { limits, logger: recordingLogger() }, client.events);
    cleanups.push(() => {
      conn.close();
    });
    expect(server.listener.protocol).toBe('WS');
    expect(conn.protocol).toBe('WS');
    expect(conn.outbound).toBe(true);
    expect(conn.remote).toMatchObject({ protocol: 'WS', address: '127.0.0.1', port: server.listener.port });
    expect(conn.remote.local.address).toBe('127.0.0.1');
    expect(conn.remote.local.port).toBeGreaterThan(0);
    expect(conn.remote.flowId).toMatch(/^WS\/\d+\/127\.0\.0\.1\/\d+$/);

    const accepted = await server.opened.next('the server connection');
    expect(accepted.outbound).toBe(false);
    expect(accepted.protocol).toBe('WS');
    expect(accepted.remote).toMatchObject({ protocol: 'WS', address: '127.0.0.1', port: conn.remote.local.port });
    expect(accepted.remote.local).toEqual({ address: '127.0.0.1', port: server.listener.port });
    expect(accepted.remote.flowId).not.toBe(conn.remote.flowId);

    // client → server request, server → client response
    const options = request('OPTIONS');
    await conn.write(bytesOf(options));
    const got = await server.frames.next('the OPTIONS');
    expect(got.conn).toBe(accepted);
    const rq = parse(got.bytes) as SipRequest;
    expect(rq.method).toBe('OPTIONS');
    expect(rq.headers['call-id']).toBe(options.headers['call-id']);
    await accepted.write(bytesOf(makeResponse(rq, 200, 'OK')));
    const rs = parse(await client.frames.next('the 200')) as SipResponse;
    expect(rs.status).toBe(200);
    expect(rs.headers['call-id']).toBe(options.headers['call-id']);

    // server → client request over the same flow, client → server response
    const message = request('MESSAGE');
    await accepted.write(bytesOf(message));
    const back = parse(await client.frames.next('the MESSAGE')) as SipRequest;
    expect(back.method).toBe('MESSAGE');
    await conn.write(bytesOf(makeResponse(back, 202, 'Accepted')));
    const rs2 = parse((await server.frames.next('the 202')).bytes) as SipResponse;
    expect(rs2.status).toBe(202);
    expect(rs2.headers.cseq?.method).toBe('MESSAGE');

    conn.close();
    expect(await client.closed.next('client close')).toBeUndefined();
    expect((await server.closed.next('server close')).conn).toBe(accepted);
    await expect(conn.write(bytesOf(options))).rejects.toMatchObject({ code: 'send-failed', status: 503 });
  });

  it('works over IPv6 loopback', async () => {
    const frames = new Inbox<Uint8Array>();
    const opened = new Inbox<Connection>();
    const listener = await listenWs(
      { port: 0, address: '::1', path: '/', limits, logger: recordingLogger() },
      { onOpen: (c) => { opened.push(c); return true; }, onFrame: (_c, b) => { frames.push(b); }, onClose() {} },
    );
    cleanups.push(() => listener.close());
    const conn = await connectWs({ protocol: 'WS', address: '::1', port: listener.port }, { limits, logger: recordingLogger() }, clientEvents().events);
    cleanups.push(() => {
      conn.close();
    });
    expect(conn.remote).toMatchObject({ address: '::1', local: { address: '::1' } });
    expect((await opened.next('the connection')).remote).toMatchObject({ protocol: 'WS', address: '::1', port: conn.remote.local.port });
    await conn.write(bytesOf(request('OPTIONS')));
    expect((parse(await frames.next('the OPTIONS')) as SipRequest).method).toBe('OPTIONS');
  });

  it('refuses a handshake without the sip subprotocol (400) and never opens a connection', async () => {
    const server = await startServer();
    expect(await rawClient(server.url, undefined)).toEqual({ status: 400 });
    expect(await rawClient(server.url, ['chat', 'xmpp'])).toEqual({ status: 400 });
    const ok = await rawClient(server.url, ['chat', 'sip']);
    expect(ok.ws?.protocol).toBe('sip');
    await server.opened.next('the sip connection');
    expect(server.opened.size).toBe(0);
  });

  it('refuses other paths with 404 and connectWs reports it as connect-failed 503', async () => {
    const server = await startServer({ path: '/sip' });
    expect(await rawClient(`ws://127.0.0.1:${String(server.listener.port)}/other`, ['sip'])).toEqual({ status: 404 });
    expect(await rawClient(`ws://127.0.0.1:${String(server.listener.port)}/`, ['sip'])).toEqual({ status: 404 });
    const target = { protocol: 'WS' as const, address: '127.0.0.1', port: server.listener.port };
    await expect(connectWs({ ...target, path: '/nope' }, { limits, logger: recordingLogger() }, clientEvents().events)).rejects.toMatchObject({
      name: 'SipError',
      code: 'connect-failed',
      status: 503,
    });
    const conn = await connectWs({ ...target, path: '/sip?x=1' }, { limits, logger: recordingLogger() }, clientEvents().events);
    cleanups.push(() => {
      conn.close();
    });
    expect((await server.opened.next('the /sip connection')).protocol).toBe('WS');
  });

  it('delivers text and binary frames, and writes text for UTF-8 and binary otherwise', async () => {
    const server = await startServer();
    const { ws } = await rawClient(server.url, ['sip']);
    const accepted = await server.opened.next('the connection');
    const text = new TextDecoder().decode(bytesOf(request('OPTIONS')));
    ws!.send(text); // a text frame
    const first = await server.frames.next('the text frame');
    expect(new TextDecoder().decode(first.bytes)).toBe(text);
    const bin = bytesOf(request('INFO'));
    ws!.send(bin, { binary: true });
    const second = await server.frames.next('the binary frame');
    expect(Array.from(second.bytes)).toEqual(Array.from(bin));

    const received = new Inbox<{ data: Buffer; isBinary: boolean }>();
    ws!.on('message', (data: RawData, isBinary) => {
      received.push({ data: data as Buffer, isBinary });
    });
    const utf8 = new TextEncoder().encode('MESSAGE sip:a@b SIP/2.0\r\nSubject: café\r\n\r\n');
    await accepted.write(utf8);
    const latin = Uint8Array.from([...new TextEncoder().encode('MESSAGE sip:a@b SIP/2.0\r\n\r\n'), 0xff, 0xfe]);
    await accepted.write(latin);
    const a = await received.next('the text frame from the server');
    expect(a.isBinary).toBe(false);
    expect(Array.from(a.data)).toEqual(Array.from(utf8));
    const b = await received.next('the binary frame from the server');
    expect(b.isBinary).toBe(true);
    expect(Array.from(b.data)).toEqual(Array.from(latin));
  });

  it('closes a connection whose frame exceeds maxHeaderBytes + maxBodyBytes (1009) and reports it', async () => {
    const server = await startServer({ maxBodyBytes: 1000 });
    const { ws } = await rawClient(server.url, ['sip']);
    const accepted = await server.opened.next('the connection');
    const closedCode = new Inbox<number>();
    ws!.on('close', (code) => {
      closedCode.push(code);
    });
    ws!.send(new Uint8Array(limits.maxHeaderBytes + 1001));
    expect(await closedCode.next('the close')).toBe(1009);
    expect((await server.framingErrors.next('the framing error')).message).toMatch(/payload/i);
    const c = await server.closed.next('server close');
    expect(c.conn).toBe(accepted);
    expect(c.error).toBeInstanceOf(Error);
    expect(server.frames.size).toBe(0);
  });

  it('closes a connection at once when onOpen refuses it, without reporting it', async () => {
    const server = await startServer({ admit: () => false });
    const { ws } = await rawClient(server.url, ['sip']);
    const code = new Inbox<number>();
    ws!.on('close', (c) => {
      code.push(c);
    });
    await server.opened.next('the refused connection');
    expect(await code.next('the close')).toBe(1013);
    expect(server.closed.size).toBe(0);
  });

  it('close() closes every accepted connection and resolves after they are closed', async () => {
    const server = await startServer();
    const a = clientEvents();
    const b = clientEvents();
    const target = { protocol: 'WS' as const, address: '127.0.0.1', port: server.listener.port };
    await connectWs(target, { limits, logger: recordingLogger() }, a.events);
    await connectWs(target, { limits, logger: recordingLogger() }, b.events);
    await server.opened.next('first');
    await server.opened.next('second');
    await server.listener.close();
    expect(server.closed.size).toBe(2); // both onClose calls happened before close() resolved
    await a.closed.next('client a closed');
    await b.closed.next('client b closed');
    await expect(connectWs(target, { limits, logger: recordingLogger() }, clientEvents().events)).rejects.toMatchObject({ code: 'connect-failed' });
    await server.listener.close(); // idempotent
  });

  it('rejects with bind-failed naming the address when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const attempt = listenWs({ port, address: '127.0.0.1', path: '/', limits, logger: recordingLogger() }, { onOpen: () => true, onFrame() {}, onClose() {} });
    await expect(attempt).rejects.toMatchObject({ name: 'SipError', code: 'bind-failed' });
    await expect(attempt).rejects.toThrow(`127.0.0.1:${String(port)}`);
  });

  it('fails connectWs when the server does not select the sip subprotocol', async () => {
    const plain = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => false });
    cleanups.push(() => new Promise((resolve) => plain.close(resolve)));
    await new Promise((resolve) => plain.once('listening', resolve));
    const port = (plain.address() as { port: number }).port;
    await expect(connectWs({ protocol: 'WS', address: '127.0.0.1', port }, { limits, logger: recordingLogger() }, clientEvents().events)).rejects.toMatchObject({
      code: 'connect-failed',
      status: 503,
    });
  });

  it('pings when asked and drops a peer that does not answer pings', async () => {
    const server = await startServer({ keepAliveIntervalMs: 50 });
    const ws = new WsSocket(server.url, ['sip'], { autoPong: false });
    cleanups.push(() => {
      ws.terminate();
    });
    const pings = new Inbox<true>();
    ws.on('ping', () => {
      pings.push(true);
    });
    ws.on('error', () => undefined);
    await server.opened.next('the connection');
    await pings.next('a ping');
    const c = await server.closed.next('the dropped connection');
    expect(c.error).toMatchObject({ code: 'keep-alive-timeout' });
  });
});

describe('wss:// with a certificate authority made at test time', () => {
  let dir = '';
  let tls: { key: string; cert: string; ca: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipts-ws-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sipts test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=sip.test');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:sip.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    tls = { key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt') };
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exchanges a request and response over WSS, verifying the server against the CA with SNI', async () => {
    const server = await startServer({ tls: { key: tls.key, cert: tls.cert } });
    expect(server.listener.protocol).toBe('WSS');
    const client = clientEvents();
    const conn = await connectWs(
      { protocol: 'WSS', address: '127.0.0.1', port: server.listener.port, host: 'sip.test' },
      { tls: { ca: tls.ca }, limits, logger: recordingLogger() },
      client.events,
    );
    cleanups.push(() => {
      conn.close();
    });
    expect(conn.protocol).toBe('WSS');
    expect(conn.remote.flowId).toMatch(/^WSS\//);
    const accepted = await server.opened.next('the WSS connection');
    expect(accepted.protocol).toBe('WSS');
    await conn.write(bytesOf(request('OPTIONS')));
    const rq = parse((await server.frames.next('the OPTIONS')).bytes) as SipRequest;
    await accepted.write(bytesOf(makeResponse(rq, 200, 'OK')));
    expect((parse(await client.frames.next('the 200')) as SipResponse).status).toBe(200);
  });

  it('rejects a server certificate it cannot verify (verification is on by default)', async () => {
    const server = await startServer({ tls: { key: tls.key, cert: tls.cert } });
    const target = { protocol: 'WSS' as const, address: '127.0.0.1', port: server.listener.port };
    await expect(connectWs(target, { limits, logger: recordingLogger() }, clientEvents().events)).rejects.toMatchObject({ code: 'connect-failed', status: 503 });
    // The right CA but the wrong name.
    await expect(connectWs({ ...target, host: 'other.test' }, { tls: { ca: tls.ca }, limits, logger: recordingLogger() }, clientEvents().events)).rejects.toMatchObject({
      code: 'connect-failed',
    });
  });
});

describe('createWsTransport (neutral) with the ws package WebSocket injected', () => {
  const WebSocketCtor = WsSocket as unknown as typeof WebSocket;

  function transportFor(url: string, reconnect: { initialDelayMs?: number; maxDelayMs?: number } | false) {
    const requests = new Inbox<{ rq: SipRequest; remote: Remote }>();
    const responses = new Inbox<{ rs: SipResponse; remote: Remote }>();
    const flowsClosed = new Inbox<string>();
    const sent = new Inbox<Uint8Array>();
    const transport: WsTransport = createWsTransport(
      { url, WebSocket: WebSocketCtor, reconnect, logger: recordingLogger(), trace: { onSend: (b) => { sent.push(b); } } },
      {
        onRequest: (rq, remote) => {
          requests.push({ rq, remote });
        },
        onResponse: (rs, remote) => {
          responses.push({ rs, remote });
        },
        onFlowClosed: (flowId) => {
          flowsClosed.push(flowId);
        },
      },
    );
    cleanups.push(() => transport.close());
    return { transport, requests, responses, flowsClosed, sent };
  }

  it('queues a send while connecting, then exchanges messages both ways', async () => {
    const server = await startServer();
    const t = transportFor(server.url, false);
    expect(t.transport.state).toBe('connecting');
    const options = request('OPTIONS');
    const sending = t.transport.send(options); // queued until open
    await sending;
    expect(t.transport.state).toBe('open');
    const got = await server.frames.next('the OPTIONS');
    const rq = parse(got.bytes) as SipRequest;
    expect(rq.headers['call-id']).toBe(options.headers['call-id']);
    await got.conn.write(bytesOf(makeResponse(rq, 200, 'OK')));
    const { rs, remote } = await t.responses.next('the 200');
    expect(rs.status).toBe(200);
    expect(remote).toMatchObject({ protocol: 'WS', address: '127.0.0.1', port: server.listener.port, local: { address: '0.0.0.0', port: 0 } });
    expect(remote.flowId).toMatch(/^WS\/[0-9a-f]{16}\/127\.0\.0\.1\/\d+$/);

    await got.conn.write(bytesOf(request('MESSAGE')));
    const incoming = await t.requests.next('the MESSAGE');
    expect(incoming.rq.method).toBe('MESSAGE');
    expect(incoming.remote.flowId).toBe(remote.flowId);
    await t.transport.send(makeResponse(incoming.rq, 200, 'OK'));
    expect((parse((await server.frames.next('the 200 from the client')).bytes) as SipResponse).status).toBe(200);
    expect(t.sent.size).toBe(2); // the trace hook saw the OPTIONS and the 200
  });

  it('reconnects after the server drops the connection, with a new flow', async () => {
    const server = await startServer();
    const t = transportFor(server.url, { initialDelayMs: 20, maxDelayMs: 200 });
    await t.transport.send(request('OPTIONS'));
    const first = await server.frames.next('the first OPTIONS');
    await first.conn.write(bytesOf(makeResponse(parse(first.bytes) as SipRequest, 200, 'OK')));
    const firstFlow = (await t.responses.next('the first 200')).remote.flowId;

    first.conn.close(); // the server drops it
    expect(await t.flowsClosed.next('the flow closed')).toBe(firstFlow);
    const second = await server.opened.next('the first connection'); // the original one
    expect(second).toBe(first.conn);
    await server.opened.next('the reconnection');
    await t.transport.send(request('OPTIONS'));
    const again = await server.frames.next('the second OPTIONS');
    expect(again.conn).not.toBe(first.conn);
    await again.conn.write(bytesOf(makeResponse(parse(again.bytes) as SipRequest, 200, 'OK')));
    const r2 = await t.responses.next('the second 200');
    expect(r2.remote.flowId).not.toBe(firstFlow);
    expect(t.transport.state).toBe('open');
  });

  it('without reconnect: closed after the drop, and sends reject with send-failed 503', async () => {
    const server = await startServer();
    const t = transportFor(server.url, false);
    await t.transport.send(request('OPTIONS'));
    const conn = await server.opened.next('the connection');
    conn.close();
    await t.flowsClosed.next('the flow closed');
    expect(t.transport.state).toBe('closed');
    await expect(t.transport.send(request('OPTIONS'))).rejects.toMatchObject({ name: 'SipError', code: 'send-failed', status: 503 });
  });

  it('rejects queued sends when the connection attempt fails, and close() is final', async () => {
    const server = await startServer({ path: '/sip' });
    const t = transportFor(`ws://127.0.0.1:${String(server.listener.port)}/wrong`, false);
    await expect(t.transport.send(request('OPTIONS'))).rejects.toMatchObject({ code: 'send-failed', status: 503 });
    expect(t.transport.state).toBe('closed');

    const u = transportFor(server.url, { initialDelayMs: 10 });
    await u.transport.send(request('OPTIONS'));
    await u.transport.close();
    expect(u.transport.state).toBe('closed');
    await server.closed.next('the server side close');
    await expect(u.transport.send(request('OPTIONS'))).rejects.toMatchObject({ code: 'send-failed', status: 503 });
  });

  it('drops an unparsable frame and keeps the flow', async () => {
    const server = await startServer();
    const t = transportFor(server.url, false);
    await t.transport.send(request('OPTIONS'));
    const got = await server.frames.next('the OPTIONS');
    await got.conn.write(new TextEncoder().encode('this is not SIP\r\n\r\n'));
    await got.conn.write(new TextEncoder().encode('\r\n\r\n')); // keep-alive: ignored
    await got.conn.write(bytesOf(makeResponse(parse(got.bytes) as SipRequest, 200, 'OK')));
    expect((await t.responses.next('the 200')).rs.status).toBe(200);
    expect(t.requests.size).toBe(0);
    expect(t.transport.state).toBe('open');
  });

  it('feeds the one receive pipeline: a request missing a header gets the 400 back over the socket; received is stamped', async () => {
    const server = await startServer();
    const t = transportFor(server.url, false);
    await t.transport.send(request('OPTIONS'));
    const got = await server.frames.next('the OPTIONS');
    const text = new TextDecoder().decode(bytesOf(request('MESSAGE'))).replace(/Call-ID:[^\r]*\r\n/i, '');
    await got.conn.write(new TextEncoder().encode(text));
    const bad = parse((await server.frames.next('the 400')).bytes) as SipResponse;
    expect(bad.status).toBe(400);
    expect(bad.headers.warning).toBe('399 - "missing Call-ID header"');
    expect(t.requests.size).toBe(0);
    expect(t.transport.stats.badRequestsAnswered).toBe(1);

    await got.conn.write(bytesOf(request('MESSAGE')));
    const ok = await t.requests.next('the MESSAGE');
    // The server's Via names a host that is not the socket's peer address: received is added (§18.2.1).
    expect(ok.rq.headers.via![0]!.params.received).toBe('127.0.0.1');
    expect(t.transport.stats.requestsReceived).toBe(1);
  });

  it('createWsPort stamps the WebSocket Via (no port, rport) and sends through the transport', async () => {
    const server = await startServer();
    const t = transportFor(server.url, false);
    const port = createWsPort(t.transport, server.url, 'k3x7.invalid');
    const rq = request('OPTIONS');
    const listener = { sent: 0, onSendError: () => undefined, onSent: () => { listener.sent++; } };
    expect(port.sendRequest(rq, wsTarget(server.url), listener)).toBe('pending');
    const got = parse((await server.frames.next('the OPTIONS')).bytes) as SipRequest;
    expect(got.headers.via![0]).toMatchObject({ protocol: 'WS', host: 'k3x7.invalid', port: undefined });
    expect(got.headers.via![0]!.params.rport).toBeNull();
    expect(listener.sent).toBe(1);
  });

  it('refuses a URL that is not ws: or wss:', () => {
    expect(() => createWsTransport({ url: 'http://127.0.0.1/', WebSocket: WebSocketCtor }, { onRequest() {}, onResponse() {} })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});
