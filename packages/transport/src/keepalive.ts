/**
 * The client side of RFC 5626 keep-alives for one flow: a CRLFCRLF ping with its CRLF pong awaited
 * on connection-oriented flows (§4.4.1, and WebSocket, RFC 7118), a STUN Binding request with the
 * RFC 5389 retransmissions on UDP (§4.4.2), at an interval from Flow-Timer or the default (§4.4.1),
 * and the flow declared failed when the pong or the STUN answer does not come, or the mapped
 * address changes (§4.4.2). Neutral: timers come from an injected clock, randomness from
 * `crypto.getRandomValues`.
 * @see RFC 5626 §4.4, RFC 5389 §7.2.1, RFC 7118 §6
 */
import { decodeStun, STUN_BINDING_ERROR, STUN_BINDING_SUCCESS, stunBindingRequest, stunMappedAddress, type StunAddress, type StunMessage } from './stun.js';

/** A scheduled callback (the transaction package's `Clock` fits this interface). */
export interface KeepAliveTimer {
  readonly id: number;
}

/** One-shot timers for the scheduler; a transaction-layer `Clock` (real or fake) fits. */
export interface KeepAliveClock {
  set(ms: number, fn: () => void): KeepAliveTimer;
  clear(timer: KeepAliveTimer): void;
}

/** Why a flow was declared failed. */
export type FlowFailureReason = 'no-pong' | 'stun-timeout' | 'stun-error' | 'mapped-address-changed' | 'connection-closed' | 'send-failed';

/** Tuning of the keep-alives (all optional; the defaults are the RFC's). */
export interface KeepAliveSettings {
  /** Interval base when the registrar sent no Flow-Timer, in seconds (§4.4.1). Default 120. */
  defaultIntervalSeconds?: number;
  /** A ping unanswered this long fails the flow (§4.4.1). Default 10,000 ms. */
  pongTimeoutMs?: number;
  /** STUN's initial retransmission timeout RTO (RFC 5389 §7.2.1). Default 500 ms. */
  stunRtoMs?: number;
  /** Timers; default `setTimeout`. Tests pass a fake clock. */
  clock?: KeepAliveClock;
  /** A number in [0, 1) for the 80–100 % jitter; default from `crypto.getRandomValues`. */
  random?: () => number;
}

/** Options of {@link createKeepAlive}. */
export interface KeepAliveOptions extends KeepAliveSettings {
  /** `crlf` on TCP, TLS, WS, WSS; `stun` on UDP. */
  kind: 'crlf' | 'stun';
  /** Writes one keep-alive on the flow. A rejection fails the flow (`send-failed`). */
  send(bytes: Uint8Array): Promise<void>;
  /** Called once when the flow fails; the keep-alives stop. */
  onFailure(reason: FlowFailureReason): void;
  /** Called for every answered keep-alive (a pong or a STUN success). */
  onAnswered?(): void;
  /** The Flow-Timer of the registration, in seconds (§4.4.1), when known. */
  flowTimerSeconds?: number;
}

/** The keep-alives of one flow. */
export interface KeepAlive {
  readonly kind: 'crlf' | 'stun';
  /** Keep-alives sent (STUN retransmissions included) and answered. */
  readonly sent: number;
  readonly answered: number;
  /** The mapped address of the last STUN success (UDP), the NAT's view of this flow. */
  readonly mapped: StunAddress | undefined;
  /** A CRLF pong arrived on the flow. */
  pong(): void;
  /** A STUN message arrived on the flow; true when it answered our request. */
  stunMessage(message: StunMessage | Uint8Array): boolean;
  /** A new Flow-Timer (a registration's 200): reschedules the next ping unless one is in flight. */
  setFlowTimer(seconds: number | undefined): void;
  /** The flow failed from outside (its connection closed): reports `reason` once and stops. */
  fail(reason: FlowFailureReason): void;
  /** Stops without reporting anything. Idempotent. */
  stop(): void;
}

const STUN_MAX_SENDS = 7; // Rc (RFC 5389 §7.2.1)
const STUN_LAST_WAIT = 16; // Rm

const timeoutClock: KeepAliveClock = {
  set(ms, fn) {
    const t: unknown = setTimeout(fn, ms);
    // Node: a keep-alive timer must not hold the process open.
    const unref = (t as { unref?: unknown } | null)?.unref;
    if (typeof unref === 'function') unref.call(t);
    return { id: 0, t } as KeepAliveTimer;
  },
  clear(timer) {
    clearTimeout((timer as unknown as { t: ReturnType<typeof setTimeout> }).t);
  },
};

function cryptoRandom(): number {
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  return (b[0] ?? 0) / 2 ** 32;
}

/**
 * The time to the next keep-alive: a random 80–100 % of Flow-Timer, or of the default (§4.4.1).
 * @example keepAliveIntervalMs(30, Math.random) // 24,000–30,000
 * @see RFC 5626 §4.4.1
 */
export function keepAliveIntervalMs(seconds: number, random: () => number): number {
  return Math.round(seconds * 1000 * (0.8 + 0.2 * random()));
}

/**
 * Starts keep-alives on one flow: the first goes out one interval from now.
 * @example
 * const ka = createKeepAlive({ kind: 'crlf', send: (b) => conn.write(b), onFailure: (r) => reregister(r) });
 * // on a CRLF pong from the flow: ka.pong()
 * @see RFC 5626 §4.4.1, §4.4.2
 */
export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  const clock = options.clock ?? timeoutClock;
  const random = options.random ?? cryptoRandom;
  const pongTimeoutMs = options.pongTimeoutMs ?? 10_000;
  const rto = options.stunRtoMs ?? 500;
  let flowTimer = options.flowTimerSeconds;
  let timer: KeepAliveTimer | undefined;
  let done = false;
  let sent = 0;
  let answered = 0;
  let mapped: StunAddress | undefined;
  /** The ping in flight: for CRLF true while a pong is awaited; for STUN its transaction id. */
  let awaiting: { id?: Uint8Array; sends: number; wait: number } | undefined;

  const arm = (ms: number, fn: () => void): void => {
    if (timer !== undefined) clock.clear(timer);
    timer = clock.set(ms, () => {
      timer = undefined;
      fn();
    });
  };

  const scheduleNext = (): void => {
    awaiting = undefined;
    const seconds = flowTimer !== undefined && flowTimer > 0 ? flowTimer : (options.defaultIntervalSeconds ?? 120);
    arm(keepAliveIntervalMs(seconds, random), ping);
  };

  const fail = (reason: FlowFailureReason): void => {
    if (done) return;
    ka.stop();
    options.onFailure(reason);
  };

  const write = (bytes: Uint8Array): void => {
    sent++;
    options.send(bytes).catch(() => {
      fail('send-failed');
    });
  };

  function ping(): void {
    if (done) return;
    if (options.kind === 'crlf') {
      awaiting = { sends: 1, wait: pongTimeoutMs };
      write(new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]));
      arm(pongTimeoutMs, () => {
        fail('no-pong');
      });
      return;
    }
    const id = crypto.getRandomValues(new Uint8Array(12));
    awaiting = { id, sends: 0, wait: rto };
    retransmit();
  }

  /** RFC 5389 §7.2.1: sends at 0, RTO, 3·RTO, 7·RTO…; after Rc sends, waits Rm·RTO, then fails. */
  function retransmit(): void {
    const a = awaiting;
    if (done || a?.id === undefined) return;
    a.sends++;
    write(stunBindingRequest(a.id));
    if (a.sends >= STUN_MAX_SENDS) {
      arm(STUN_LAST_WAIT * rto, () => {
        fail('stun-timeout');
      });
      return;
    }
    const wait = a.wait;
    a.wait *= 2;
    arm(wait, retransmit);
  }

  const ka: KeepAlive = {
    kind: options.kind,
    get sent() {
      return sent;
    },
    get answered() {
      return answered;
    },
    get mapped() {
      return mapped;
    },
    pong() {
      if (done || options.kind !== 'crlf' || awaiting === undefined) return;
      answered++;
      options.onAnswered?.();
      scheduleNext();
    },
    stunMessage(input) {
      if (done || options.kind !== 'stun' || awaiting?.id === undefined) return false;
      let message: StunMessage;
      try {
        message = input instanceof Uint8Array ? decodeStun(input) : input;
      } catch {
        return false;
      }
      const id = awaiting.id;
      if (message.transactionId.length !== 12 || !message.transactionId.every((b, i) => b === id[i])) return false;
      if (message.type === STUN_BINDING_ERROR) {
        fail('stun-error');
        return true;
      }
      if (message.type !== STUN_BINDING_SUCCESS) return false;
      let now: StunAddress | undefined;
      try {
        now = stunMappedAddress(message);
      } catch {
        now = undefined;
      }
      // §4.4.2: a changed XOR-MAPPED-ADDRESS means the NAT binding changed: the flow failed.
      if (mapped !== undefined && now !== undefined && (now.address !== mapped.address || now.port !== mapped.port)) {
        mapped = now;
        fail('mapped-address-changed');
        return true;
      }
      mapped ??= now;
      answered++;
      options.onAnswered?.();
      scheduleNext();
      return true;
    },
    setFlowTimer(seconds) {
      if (done || seconds === flowTimer) return;
      flowTimer = seconds;
      if (awaiting === undefined) scheduleNext(); // idle: the next ping follows the new interval
    },
    fail,
    stop() {
      done = true;
      if (timer !== undefined) clock.clear(timer);
      timer = undefined;
      awaiting = undefined;
    },
  };
  scheduleNext();
  return ka;
}
