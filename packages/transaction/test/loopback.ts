/**
 * A loopback {@link TransportPort} with knobs for the state-machine tests (pjsip's loop transport):
 * every send is recorded with the fake clock's time; the nth send can be dropped (lost on the
 * wire), failed (rejected, or thrown synchronously); every send can be delayed on the fake clock;
 * reliable or not. A `peer` hook sees what is delivered. Also the messages and context the tests
 * build transactions from.
 */
import { copyMessage, makeResponse, SipError, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { promisePort, type Logger, type Remote, type Target, type TransportPort, type TransportProtocol } from '@sipts/transport';
import { DEFAULT_TIMERS, type TimerValues } from '../src/clock.js';
import type { FakeClock } from '../src/fake-clock.js';
import type { ClientTransactionUser, ServerTransactionUser, TransactionContext } from '../src/types.js';

/** One send, as the transaction made it. */
export interface SendRecord {
  /** 1-based count of sends through this loopback. */
  n: number;
  /** Fake-clock time of the send. */
  at: number;
  /** `INVITE`, `ACK`, … for requests; the status (`'100'`, `'486'`) for responses. */
  label: string;
  /** A snapshot of the message when it was sent. */
  message: SipMessage;
  outcome: 'delivered' | 'dropped' | 'failed';
}

/** The test side of the loopback. */
export interface Loopback {
  port: TransportPort;
  readonly protocol: TransportProtocol;
  readonly reliable: boolean;
  sends: SendRecord[];
  /** Times of the sends with `label` (every outcome: a dropped send was still sent). */
  times(label: string): number[];
  /** The snapshots of the sends with `label`. */
  messages(label: string): SipMessage[];
  /** The nth send (1-based) is lost: it resolves, but the peer never sees it. */
  dropNth(n: number): void;
  /** The nth send rejects with a SipError 503 (or throws synchronously with `sync`). */
  failNth(n: number, sync?: boolean): void;
  /** Every send from now on fails (rejects). */
  failAll: boolean;
  /** Sends resolve (and reach the peer) this many fake ms later; 0: at once. */
  delay: number;
  /** The peer: sees every delivered message. */
  peer: ((message: SipMessage, record: SendRecord) => void) | undefined;
}

/** The far end every loopback talks to. */
export const PEER = { address: '192.0.2.10', port: 5060 };
const LOCAL = { address: '127.0.0.1', port: 5070 };

/** Creates a loopback on `clock` for `protocol` (UDP: unreliable; anything else reliable). */
export function createLoopback(clock: FakeClock, protocol: TransportProtocol = 'UDP'): Loopback {
  const drops = new Set<number>();
  const fails = new Map<number, boolean>();
  const remote = (): Remote => {
    const r: Remote = { protocol, address: PEER.address, port: PEER.port, local: { ...LOCAL } };
    if (protocol !== 'UDP') r.flowId = 'flow-1';
    return r;
  };

  function send(message: SipMessage, label: string): Promise<Remote> {
    const n = lb.sends.length + 1;
    const sync = fails.get(n);
    const failed = sync !== undefined || lb.failAll;
    const record: SendRecord = { n, at: clock.now(), label, message: copyMessage(message, true), outcome: failed ? 'failed' : drops.has(n) ? 'dropped' : 'delivered' };
    lb.sends.push(record);
    if (sync === true) throw new SipError('send-failed', `send ${String(n)} failed (sync)`, { status: 503 });
    if (failed) return later(() => Promise.reject(new SipError('send-failed', `send ${String(n)} failed`, { status: 503 })));
    return later(() => {
      if (record.outcome === 'delivered') lb.peer?.(record.message, record);
      return Promise.resolve(remote());
    });
  }

  function later(fn: () => Promise<Remote>): Promise<Remote> {
    if (lb.delay <= 0) return fn();
    return new Promise((resolve, reject) => {
      clock.set(lb.delay, () => {
        fn().then(resolve, reject);
      });
    });
  }

  const lb: Loopback = {
    protocol,
    reliable: protocol !== 'UDP',
    sends: [],
    failAll: false,
    delay: 0,
    peer: undefined,
    times: (label) => lb.sends.filter((s) => s.label === label).map((s) => s.at),
    messages: (label) => lb.sends.filter((s) => s.label === label).map((s) => s.message),
    dropNth(n) {
      drops.add(n);
    },
    failNth(n, sync = false) {
      fails.set(n, sync);
    },
    port: promisePort({
      sendRequest(request, _target) {
        return send(request, request.method);
      },
      sendResponse(response, _remote) {
        return send(response, String(response.status));
      },
    }),
  };
  return lb;
}

/** Lets promise callbacks (send results) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A logger that records what it is given. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The context transactions under test run in. */
export function context(clock: FakeClock, lb: Loopback, timers: Partial<TimerValues> = {}, logger: Logger = recordingLogger()): TransactionContext {
  return { transport: lb.port, clock, timers: { ...DEFAULT_TIMERS, ...timers }, logger };
}

/** Where client transactions send. */
export function target(lb: Loopback): Target {
  return { protocol: lb.protocol, address: PEER.address, port: PEER.port };
}

/** Where a server transaction's request came from. */
export function remote(lb: Loopback): Remote {
  const r: Remote = { protocol: lb.protocol, address: PEER.address, port: PEER.port, local: { ...LOCAL } };
  if (lb.reliable) r.flowId = 'flow-1';
  return r;
}

/** A request with a top Via and branch, as a transaction receives or sends it. */
export function request(method: string, extra: Partial<SipRequest['headers']> = {}): SipRequest {
  return {
    method,
    uri: 'sip:bob@biloxi.example.com',
    version: '2.0',
    headers: {
      via: [
        { version: '2.0', protocol: 'UDP', host: 'pc33.atlanta.example.com', port: 5060, params: { branch: 'z9hG4bKnashds8' } },
        { version: '2.0', protocol: 'UDP', host: 'proxy.atlanta.example.com', port: 5060, params: { branch: 'z9hG4bK77ef4c2312983.1' } },
      ],
      'max-forwards': '69',
      to: { name: 'Bob', uri: 'sip:bob@biloxi.example.com', params: {} },
      from: { name: 'Alice', uri: 'sip:alice@atlanta.example.com', params: { tag: '1928301774' } },
      'call-id': 'a84b4c76e66710@pc33.atlanta.example.com',
      cseq: { seq: 314159, method },
      contact: [{ uri: 'sip:alice@pc33.atlanta.example.com', params: {} }],
      ...extra,
    },
    content: '',
  };
}

/** The peer's response to `rq`, with a To tag. */
export function response(rq: SipRequest, status: number, toTag = 'peer-tag'): SipResponse {
  return makeResponse(rq, status, undefined, status === 100 ? undefined : { toTag });
}

/** A client transaction user that records what it is told. */
export function clientUser(): ClientTransactionUser & { events: string[]; responses: SipResponse[]; errors: unknown[]; terminated: number } {
  const u = {
    events: [] as string[],
    responses: [] as SipResponse[],
    errors: [] as unknown[],
    terminated: 0,
    onResponse(rs: SipResponse) {
      u.responses.push(rs);
      u.events.push(String(rs.status));
    },
    onTimeout() {
      u.events.push('timeout');
    },
    onTransportError(e: unknown) {
      u.errors.push(e);
      u.events.push('transport-error');
    },
    onTerminated() {
      u.terminated++;
      u.events.push('terminated');
    },
  };
  return u;
}

/** A server transaction user that records what it is told. */
export function serverUser(): ServerTransactionUser & { events: string[]; errors: unknown[]; terminated: number } {
  const u = {
    events: [] as string[],
    errors: [] as unknown[],
    terminated: 0,
    onTimeout() {
      u.events.push('timeout');
    },
    onTransportError(e: unknown) {
      u.errors.push(e);
      u.events.push('transport-error');
    },
    onTerminated() {
      u.terminated++;
      u.events.push('terminated');
    },
  };
  return u;
}
