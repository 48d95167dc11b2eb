/**
 * The retransmission schedule a UAS core runs itself: the 2xx to an INVITE until its ACK (RFC 3261
 * §13.3.1.4) and a reliable provisional until its PRACK (RFC 3262 §3): first after T1, the interval
 * doubling up to T2; after 64·T1 it gives up.
 * @see RFC 3261 §13.3.1.4, RFC 3262 §3
 */
import type { Clock, TimerHandle, TimerValues } from '@sipts/transaction';

/** Options of {@link startRetransmission}. */
export interface RetransmitOptions {
  clock: Clock;
  timers: TimerValues;
  /** Sends the message again. */
  send(): void;
  /** 64·T1 passed without {@link Retransmission.stop}. */
  onTimeout(): void;
  /** Double the interval up to T2 (2xx, RFC 3261 §13.3.1.4) or without a cap (reliable 1xx, RFC 3262 §3). Default true. */
  capAtT2?: boolean;
}

/** A running schedule. */
export interface Retransmission {
  /** The ACK (or PRACK) came: no more sends, no timeout. Idempotent. */
  stop(): void;
  readonly running: boolean;
}

/**
 * Starts retransmitting (the first send is the caller's). Resends at T1, 3·T1, 7·T1… until 64·T1.
 * @example const rt = startRetransmission({ clock, timers, send: () => void st.respond(ok), onTimeout: () => bye() })
 * @see RFC 3261 §13.3.1.4
 */
export function startRetransmission(options: RetransmitOptions): Retransmission {
  const { clock, timers } = options;
  const cap = options.capAtT2 ?? true;
  let interval = timers.T1;
  let running = true;
  let resend: TimerHandle | undefined;
  const giveUp: TimerHandle = clock.set(64 * timers.T1, () => {
    stop();
    options.onTimeout();
  });
  const arm = (): void => {
    resend = clock.set(interval, () => {
      if (!running) return;
      options.send();
      interval = cap ? Math.min(interval * 2, timers.T2) : interval * 2;
      arm();
    });
  };
  function stop(): void {
    if (!running) return;
    running = false;
    clock.clear(giveUp);
    if (resend !== undefined) clock.clear(resend);
  }
  arm();
  return {
    stop,
    get running() {
      return running;
    },
  };
}
