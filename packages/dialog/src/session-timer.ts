/**
 * Session timers (RFC 4028): the negotiation in INVITE/2xx (Session-Expires, Min-SE, 422, the
 * `refresher` parameter), the refresher's re-INVITE or UPDATE at half the interval, and BYE when
 * the peer is the refresher and lets the session expire.
 * @see RFC 4028 §7 (UAC), §9 (UAS), §10 (performing refreshes)
 */
import type { Headers, SipRequest, SipResponse } from '@sipts/message';
import type { TimerHandle } from '@sipts/transaction';
import type { SessionTimerOptions, UaCore } from './core.js';
import { addToken, hasToken, numberHeader, parseSessionExpires } from './headers.js';
import type { Session } from './session.js';

/** Who refreshes: this side or the peer. */
export type Refresher = 'local' | 'remote';

/**
 * The longest interval a session timer runs (a day): a peer's Session-Expires above it is clamped,
 * so no huge value reaches the clock (host timers overflow past 2^31 − 1 ms).
 */
export const MAX_SESSION_EXPIRES = 86_400;

/** RFC 4028 §10: the refresher refreshes at half the interval; the other side gives up at interval − min(32, interval/3). */
export function expiryDelay(seconds: number): number {
  return seconds - Math.min(32, seconds / 3);
}

/** UAC (RFC 4028 §7.1): the headers of an initial INVITE that asks for session timers. */
export function requestSessionTimer(request: SipRequest, options: Required<SessionTimerOptions>): void {
  addToken(request.headers, 'supported', 'timer');
  request.headers['session-expires'] = String(options.expires);
  request.headers['min-se'] = String(options.minSE);
}

/**
 * UAS (RFC 4028 §8.1): the Min-SE check. Returns the headers of a 422 when the request asks for an
 * interval below our Min-SE, else undefined.
 */
export function checkMinSE(request: SipRequest, options: Required<SessionTimerOptions>): Headers | undefined {
  const se = parseSessionExpires(request);
  if (se !== undefined && se.seconds < options.minSE) return { 'min-se': String(options.minSE) };
  return undefined;
}

/**
 * One session's timer. Created from the negotiated interval and refresher; re-armed by every
 * refresh (a 2xx to our re-INVITE/UPDATE, or the peer's accepted one).
 * @see RFC 4028 §10
 */
export class SessionTimer {
  #handle: TimerHandle | undefined;
  #stopped = false;
  #seconds = MAX_SESSION_EXPIRES;

  readonly core: UaCore;
  refresher: Refresher;

  /** `terms`: the interval agreed (Session-Expires, seconds) and which side refreshes. */
  constructor(
    readonly session: Session,
    terms: { seconds: number; refresher: Refresher },
  ) {
    this.core = session.core;
    this.refresher = terms.refresher;
    this.seconds = terms.seconds;
  }

  /** The session interval in seconds, at most {@link MAX_SESSION_EXPIRES}. */
  get seconds(): number {
    return this.#seconds;
  }

  set seconds(value: number) {
    this.#seconds = Math.max(1, Math.min(value, MAX_SESSION_EXPIRES));
  }

  /**
   * Negotiates from the 2xx to our initial INVITE (UAC, RFC 4028 §7.2): none when the 2xx has no
   * Session-Expires.
   */
  static fromUacResponse(session: Session, response: SipResponse): SessionTimer | undefined {
    const se = parseSessionExpires(response);
    if (se === undefined) return undefined;
    return new SessionTimer(session, { seconds: se.seconds, refresher: se.refresher === 'uas' ? 'remote' : 'local' });
  }

  /**
   * Negotiates for our 2xx to an initial INVITE (UAS, RFC 4028 §9): the interval the UAC asked for
   * (or ours), the refresher it named, else the UAC when it supports timers, else us. Adds
   * Session-Expires (and Require: timer when the UAC refreshes) to `response`.
   */
  static forUasResponse(session: Session, request: SipRequest, response: SipResponse, options: Required<SessionTimerOptions>): SessionTimer {
    const se = parseSessionExpires(request);
    const uacSupports = hasToken(request, 'supported', 'timer') || hasToken(request, 'require', 'timer');
    const seconds = Math.max(se?.seconds ?? options.expires, numberHeader(request, 'min-se') ?? 0, options.minSE);
    const refresherParam = se?.refresher ?? (uacSupports ? 'uac' : 'uas');
    response.headers['session-expires'] = `${String(seconds)};refresher=${refresherParam}`;
    if (refresherParam === 'uac') addToken(response.headers, 'require', 'timer');
    return new SessionTimer(session, { seconds, refresher: refresherParam === 'uac' ? 'remote' : 'local' });
  }

  /** Starts (or restarts) the timer. */
  arm(): void {
    if (this.#stopped) return;
    if (this.#handle !== undefined) this.core.clock.clear(this.#handle);
    const ms = (this.refresher === 'local' ? this.seconds / 2 : expiryDelay(this.seconds)) * 1000;
    this.#handle = this.core.clock.set(ms, () => {
      this.#handle = undefined;
      this.#fire();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.core.clock.clear(this.#handle);
    this.#handle = undefined;
  }

  #fire(): void {
    const session = this.session;
    if (this.refresher === 'remote') {
      this.core.logger.info('the session expired (RFC 4028 §10): BYE', { callId: session.dialog.id.callId });
      void session.bye().catch(() => undefined);
      return;
    }
    // The refresh: UPDATE without a body when the peer allows it, else a re-INVITE with our SDP.
    const refresh = session.peerAllowsUpdate ? session.update() : session.reinvite();
    refresh.catch((e: unknown) => {
      this.core.logger.info('a session refresh failed', { error: e });
      this.arm();
    });
  }

  /** Headers of a refresh request we send: we are its UAC. */
  addHeaders(request: SipRequest, _role: 'uac' | 'uas'): void {
    addToken(request.headers, 'supported', 'timer');
    request.headers['session-expires'] = `${String(this.seconds)};refresher=${this.refresher === 'local' ? 'uac' : 'uas'}`;
  }

  /** Headers of our 2xx to the peer's refresh (re-INVITE, UPDATE): the peer is its UAC. */
  addResponseHeaders(response: SipResponse, request: SipRequest): void {
    const se = parseSessionExpires(request);
    if (se !== undefined) {
      this.seconds = Math.max(se.seconds, this.core.sessionTimer?.minSE ?? 90);
      if (se.refresher !== undefined) this.refresher = se.refresher === 'uac' ? 'remote' : 'local';
    }
    const param = this.refresher === 'remote' ? 'uac' : 'uas';
    response.headers['session-expires'] = `${String(this.seconds)};refresher=${param}`;
    if (param === 'uac') addToken(response.headers, 'require', 'timer');
  }

  /** A 422 answer's headers when the peer's refresh asks for less than our Min-SE. */
  checkRequest(request: SipRequest): Headers | undefined {
    const options = this.core.sessionTimer;
    return options === undefined ? undefined : checkMinSE(request, options);
  }

  /** The peer refreshed the session (its re-INVITE/UPDATE got our 2xx). */
  onRefreshRequest(_request: SipRequest): void {
    this.arm();
  }

  /** Our refresh got a 2xx: take the interval and refresher it confirms, and restart. */
  onRefreshResponse(response: SipResponse): void {
    const se = parseSessionExpires(response);
    if (se !== undefined) {
      this.seconds = se.seconds;
      if (se.refresher !== undefined) this.refresher = se.refresher === 'uac' ? 'local' : 'remote';
    }
    this.arm();
  }
}
