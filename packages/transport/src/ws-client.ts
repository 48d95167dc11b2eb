/**
 * The SIP over WebSocket client transport (RFC 7118) for browsers and any runtime with a
 * WHATWG `WebSocket` (Node ≥ 22, or an injected constructor). Neutral: no Node built-ins.
 *
 * One flow to one server: opens with the `sip` subprotocol, queues sends while connecting,
 * parses every frame as one whole message (§5.2) and reconnects with exponential backoff when the
 * socket drops (the classic client never reconnected and answered 503 forever after).
 * @see RFC 7118 §4.1, §5; RFC 6455
 */
import { SipError, serializeMessage, type SipMessage } from '@sipts/message';
import { asError } from './as-error.js';
import { createKeepAlive, type KeepAlive, type KeepAliveSettings } from './keepalive.js';
import { createReceiver, newTransportStats, type MessageSource } from './pipeline.js';
import { safely } from './safely.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  silentLogger,
  type Logger,
  type Remote,
  type TraceHook,
  type TransportHandlers,
  type TransportLimits,
  type TransportStats,
} from './types.js';

/** Options of {@link createWsTransport}. */
export interface WsTransportOptions {
  /** `ws://host[:port]/path` or `wss://…`. */
  url: string;
  /** The WebSocket constructor; default `globalThis.WebSocket`. */
  WebSocket?: typeof WebSocket;
  limits?: TransportLimits;
  logger?: Logger;
  trace?: TraceHook;
  /**
   * Reconnect after the socket drops, waiting `initialDelayMs` (default 500) doubled on each
   * failed attempt up to `maxDelayMs` (default 30 s), with ±20 % jitter. `false`: never.
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number } | false;
  /**
   * RFC 5626 keep-alives on the socket (RFC 7118 §6 keeps them for WebSocket): a CRLFCRLF text
   * frame every 80–100 % of Flow-Timer (set it with {@link WsTransport.setFlowTimer}) or of
   * 120 s, the CRLF pong awaited 10 s; a missed pong reports `onFlowFailed` and closes the socket
   * (which then reconnects). Default: off.
   */
  keepAlive?: KeepAliveSettings;
}

/** A WebSocket client transport: one flow to one server. */
export interface WsTransport {
  /** `connecting` while opening or waiting to reconnect; `closed` after `close()` or a final failure. */
  readonly state: 'connecting' | 'open' | 'closed';
  /**
   * The counters of the receive pipeline (messages received, 400s answered, drops) and of sends
   * (`messagesSent`, `sendErrors`).
   */
  readonly stats: TransportStats;
  /**
   * Serializes and sends `message` as one frame; while connecting it waits for the socket to open.
   * @throws SipError `send-failed` (status 503, rejected) when closed, when the pending connection
   *   attempt fails, or when the queue is over `maxPendingWriteBytes`.
   */
  send(message: SipMessage): Promise<void>;
  /**
   * The registrar's Flow-Timer (RFC 5626 §4.4.1) for the keep-alives of this and later sockets;
   * undefined: back to the default. Without `keepAlive` in the options this does nothing.
   */
  setFlowTimer(seconds: number | undefined): void;
  /** Closes the socket for good (no reconnect); resolves when it is closed. */
  close(): Promise<void>;
}

/** What this file needs of a WHATWG WebSocket (browsers, Node ≥ 22, the `ws` package). */
interface SocketLike {
  readonly protocol: string;
  readonly readyState: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: { data?: unknown; code?: number; reason?: string }) => void): void;
}
type SocketCtor = new (url: string, protocols: string[]) => SocketLike;

interface Pending {
  bytes: Uint8Array;
  resolve(): void;
  reject(e: SipError): void;
}

const SUBPROTOCOL = 'sip';
const OPEN = 1;
const CLOSE_GRACE_MS = 3000;

/** Only CR and LF: a keep-alive (RFC 5626 §4.4.1 style), not a message. */
function isKeepAlive(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x0d || b === 0x0a);
}

function randomToken(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A factor in [0.8, 1.2) from crypto.getRandomValues. */
function jitter(): number {
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  return 0.8 + ((b[0] ?? 0) / 2 ** 32) * 0.4;
}

/**
 * Creates a WebSocket client transport to `options.url` and starts connecting at once.
 * Incoming messages go to `handlers.onRequest`/`onResponse` with a {@link Remote} whose
 * `flowId` names the current socket; `handlers.onFlowClosed` hears when that socket closes.
 * @throws SipError `invalid-argument` when the URL is not `ws:`/`wss:` or no WebSocket constructor exists.
 * @example
 * const transport = createWsTransport({ url: 'wss://sip.example.com/ws' }, {
 *   onRequest: (rq, remote) => stack.receive(rq, remote),
 *   onResponse: (rs, remote) => stack.receive(rs, remote),
 * });
 * await transport.send(request);
 * @see RFC 7118 §4.1 (the `sip` subprotocol), §5 (one message per frame)
 */
export function createWsTransport(options: WsTransportOptions, handlers: TransportHandlers): WsTransport {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (e) {
    throw new SipError('invalid-argument', `not a URL: ${options.url}`, { cause: e });
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SipError('invalid-argument', `not a ws: or wss: URL: ${options.url}`);
  }
  const maybeCtor = (options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket) as SocketCtor | undefined;
  if (maybeCtor === undefined) {
    throw new SipError('invalid-argument', 'no WebSocket constructor: pass options.WebSocket');
  }
  const Ctor: SocketCtor = maybeCtor;
  const protocol = url.protocol === 'wss:' ? 'WSS' : 'WS';
  const address = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (protocol === 'WSS' ? 443 : 80) : Number(url.port);
  const limits = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const trace = options.trace;
  const reconnect = options.reconnect === false ? undefined : options.reconnect ?? {};
  const initialDelay = reconnect?.initialDelayMs ?? 500;
  const maxDelay = reconnect?.maxDelayMs ?? 30_000;
  const encoder = new TextEncoder();
  const stats = newTransportStats();
  // The one receive pipeline (parse, mandatory headers, 400, received/rport, counters), as on Node.
  const receive = createReceiver<MessageSource>({ limits, logger, trace, stats, handlers });
  /** Replies go back over the socket open now (a reply to a message from a closed one is dropped). */
  const source: MessageSource = {
    framing: 'datagram',
    reply(bytes, to) {
      const s = socket;
      if (s === undefined || s.readyState !== OPEN || remote?.flowId !== to.flowId) throw sendFailed('the WebSocket the message came on is closed');
      write(s, to, bytes);
    },
  };

  let state: WsTransport['state'] = 'connecting';
  let socket: SocketLike | undefined;
  let remote: Remote | undefined;
  let queue: Pending[] = [];
  let queuedBytes = 0;
  let delay = initialDelay;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let closeWaiters: (() => void)[] = [];
  let keepAlive: KeepAlive | undefined;
  let flowTimer: number | undefined;

  const sendFailed = (why: string, cause?: unknown): SipError =>
    new SipError('send-failed', `${options.url}: ${why}`, { status: 503, cause });

  function failQueue(why: string, cause?: unknown): void {
    const pending = queue;
    queue = [];
    queuedBytes = 0;
    stats.sendErrors += pending.length;
    for (const p of pending) p.reject(sendFailed(why, cause));
  }

  function write(s: SocketLike, r: Remote, bytes: Uint8Array): void {
    trace?.onSend?.(bytes, r);
    s.send(bytes);
    stats.messagesSent++;
  }

  function dispatch(bytes: Uint8Array, r: Remote): void {
    if (bytes.byteLength === 0) return;
    if (isKeepAlive(bytes)) {
      // A lone CRLF answers our ping; a CRLFCRLF is the server's ping, answered (RFC 5626 §4.4.1).
      if (bytes.byteLength === 2) keepAlive?.pong();
      else if (bytes.byteLength === 4 && socket !== undefined && socket.readyState === OPEN) socket.send('\r\n');
      return;
    }
    receive(bytes, r, source);
  }

  function onData(data: unknown, r: Remote): void {
    if (typeof data === 'string') dispatch(encoder.encode(data), r);
    else if (data instanceof ArrayBuffer) dispatch(new Uint8Array(data), r);
    else if (ArrayBuffer.isView(data)) dispatch(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), r);
    else if (typeof Blob !== 'undefined' && data instanceof Blob) {
      data.arrayBuffer().then(
        (buf) => {
          dispatch(new Uint8Array(buf), r);
        },
        (e: unknown) => {
          logger.warn('could not read a WebSocket frame', { error: asError(e).message });
        },
      );
    } else logger.warn('dropped a WebSocket frame of unknown type', { flowId: r.flowId });
  }

  function scheduleReconnect(): void {
    if (reconnect === undefined) {
      state = 'closed';
      return;
    }
    const wait = Math.round(delay * jitter());
    delay = Math.min(delay * 2, maxDelay);
    logger.info('WebSocket reconnecting', { url: options.url, delayMs: wait });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, wait);
  }

  function connect(): void {
    state = 'connecting';
    let s: SocketLike;
    try {
      s = new Ctor(options.url, [SUBPROTOCOL]);
      s.binaryType = 'arraybuffer';
    } catch (e) {
      logger.error('WebSocket could not be created', { url: options.url, error: asError(e) });
      failQueue('cannot open the WebSocket', e);
      scheduleReconnect();
      return;
    }
    socket = s;
    const r: Remote = { protocol, address, port, local: { address: '0.0.0.0', port: 0 }, flowId: `${protocol}/${randomToken()}/${address}/${String(port)}` };
    let opened = false;
    let fatal = false;

    s.addEventListener('open', () => {
      if (socket !== s) return;
      if (s.protocol !== SUBPROTOCOL) {
        // RFC 7118 §4.1: without `sip` this is not a SIP server; do not retry it.
        logger.error('WebSocket server did not select the sip subprotocol', { url: options.url, selected: s.protocol });
        fatal = true;
        s.close(1000, 'sip subprotocol required');
        return;
      }
      opened = true;
      state = 'open';
      remote = r;
      startKeepAlive(s, r);
      delay = initialDelay;
      logger.debug('WebSocket open', { url: options.url, flowId: r.flowId });
      const pending = queue;
      queue = [];
      queuedBytes = 0;
      for (const p of pending) {
        try {
          write(s, r, p.bytes);
          p.resolve();
        } catch (e) {
          p.reject(sendFailed('send failed', e));
        }
      }
    });
    s.addEventListener('message', (event) => {
      if (socket !== s) return;
      try {
        onData(event.data, r);
      } catch (e) {
        logger.error('WebSocket frame handling failed', { flowId: r.flowId, error: asError(e) });
      }
    });
    s.addEventListener('error', () => {
      logger.debug('WebSocket error', { url: options.url, flowId: r.flowId });
    });
    s.addEventListener('close', (event) => {
      if (socket !== s) return;
      socket = undefined;
      remote = undefined;
      const ka = keepAlive;
      keepAlive = undefined;
      ka?.fail('connection-closed');
      logger.info('WebSocket closed', { url: options.url, flowId: r.flowId, code: event.code, reason: event.reason });
      if (opened) {
        safely(logger, 'onFlowClosed handler', () => handlers.onFlowClosed?.(r.flowId ?? '', r));
      }
      for (const waiter of closeWaiters.splice(0)) waiter();
      if (state === 'closed') return; // closed by the user
      failQueue(fatal ? 'the server did not select the sip subprotocol' : 'the WebSocket closed');
      if (fatal) state = 'closed';
      else scheduleReconnect();
    });
  }

  /** Keep-alives on a socket that just opened; a failure closes it (and reconnects). */
  function startKeepAlive(s: SocketLike, r: Remote): void {
    if (options.keepAlive === undefined) return;
    keepAlive?.stop();
    keepAlive = createKeepAlive({
      ...options.keepAlive,
      kind: 'crlf',
      ...(flowTimer !== undefined ? { flowTimerSeconds: flowTimer } : {}),
      send: (bytes) => {
        if (socket !== s || s.readyState !== OPEN) return Promise.reject(sendFailed('the WebSocket is not open'));
        trace?.onSend?.(bytes, r);
        s.send('\r\n\r\n');
        return Promise.resolve();
      },
      onFailure: (reason) => {
        logger.info('WebSocket flow failed', { flowId: r.flowId, reason });
        safely(logger, 'onFlowFailed handler', () => handlers.onFlowFailed?.(r, reason));
        if (reason !== 'connection-closed' && socket === s) s.close(1000, 'keep-alive failed');
      },
    });
  }

  connect();

  return {
    get state() {
      return state;
    },
    stats,
    send(message: SipMessage): Promise<void> {
      if (state === 'closed') return Promise.reject(sendFailed('transport is closed'));
      let bytes: Uint8Array;
      try {
        bytes = serializeMessage(message);
      } catch (e) {
        return Promise.reject(e instanceof SipError ? e : sendFailed('cannot serialize the message', e));
      }
      const s = socket;
      if (state === 'open' && s !== undefined && remote !== undefined && s.readyState === OPEN) {
        try {
          write(s, remote, bytes);
          return Promise.resolve();
        } catch (e) {
          stats.sendErrors++;
          return Promise.reject(sendFailed('send failed', e));
        }
      }
      if (queuedBytes + bytes.byteLength > limits.maxPendingWriteBytes) {
        return Promise.reject(sendFailed('send queue full while connecting'));
      }
      queuedBytes += bytes.byteLength;
      return new Promise<void>((resolve, reject) => {
        queue.push({ bytes, resolve, reject });
      });
    },
    setFlowTimer(seconds) {
      flowTimer = seconds;
      keepAlive?.setFlowTimer(seconds);
    },
    close(): Promise<void> {
      keepAlive?.stop();
      keepAlive = undefined;
      if (state === 'closed' && socket === undefined) return Promise.resolve();
      state = 'closed';
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      failQueue('transport closed');
      const s = socket;
      if (s === undefined) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          closeWaiters = closeWaiters.filter((w) => w !== done);
          resolve();
        }, CLOSE_GRACE_MS);
        const done = (): void => {
          clearTimeout(cut);
          resolve();
        };
        closeWaiters.push(done);
        try {
          s.close(1000, 'closed');
        } catch (e) {
          logger.debug('WebSocket close failed', { error: asError(e).message });
          done();
        }
      });
    },
  };
}
