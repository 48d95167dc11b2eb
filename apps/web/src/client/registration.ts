/**
 * Reading a registrar's answer: how long the binding lasts, when to refresh it, whether the
 * registrar does outbound, and the Min-Expires of a 423.
 * @see RFC 3261 §10.2.4 (expiration in the 200), §10.2.8 (423 Interval Too Brief); RFC 5626 §6
 */
import { uriEquals, type SipResponse } from '@sipts/message';
import { hasOptionTag } from './requests.js';

function seconds(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v !== 'string' || !/^\d{1,10}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/**
 * The lifetime the registrar granted our binding: the `expires` parameter of our Contact in the
 * 200 (found by URI, else by `+sip.instance`), else its Expires header, else what we asked for.
 * @see RFC 3261 §10.2.4
 */
export function grantedExpires(rs: SipResponse, ours: { contactUri: string; instanceId: string }, requested: number): number {
  for (const c of rs.headers.contact ?? []) {
    const instance = typeof c.params['+sip.instance'] === 'string' ? c.params['+sip.instance'].replace(/^"<|>"$/g, '') : undefined;
    let same = instance === ours.instanceId;
    if (!same) {
      try {
        same = uriEquals(c.uri, ours.contactUri);
      } catch (_e) {
        same = false;
      }
    }
    if (!same) continue;
    const e = seconds(c.params.expires);
    if (e !== undefined) return e;
  }
  return seconds(rs.headers.expires) ?? requested;
}

/**
 * Milliseconds until a binding of `expires` seconds should be refreshed: a minute early for long
 * bindings, halfway for short ones, never under a second.
 * @example refreshDelayMs(600) // 540000
 */
export function refreshDelayMs(expires: number): number {
  const s = expires > 120 ? expires - 60 : expires / 2;
  return Math.max(1, s) * 1000;
}

/** The Min-Expires of a 423 Interval Too Brief, if it is a number (RFC 3261 §10.2.8). */
export function minExpiresOf(rs: SipResponse): number | undefined {
  return seconds(rs.headers['min-expires']);
}

/** True when a registrar's response says it does outbound (RFC 5626 §6: Supported or Require `outbound`). */
/**
 * The Flow-Timer of a REGISTER 2xx in seconds (RFC 5626 §4.4.1), or undefined when absent or not a
 * positive whole number.
 * @example flowTimerOf(ok) // 120
 */
export function flowTimerOf(rs: SipResponse): number | undefined {
  const v = rs.headers['flow-timer'];
  const text = typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
  return /^\d{1,9}$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

export function registrarDoesOutbound(rs: SipResponse): boolean {
  return hasOptionTag(rs.headers.supported, 'outbound') || hasOptionTag(rs.headers.require, 'outbound');
}

/**
 * A reconnect backoff: `initial` doubled per failure up to `max`, with ±20 % jitter.
 * @example const b = createBackoff(1000, 30000); clock.set(b.next(), retry); b.reset();
 */
export function createBackoff(initial: number, max: number, random: () => number = cryptoRandom): { next(): number; reset(): void } {
  let delay = initial;
  return {
    next() {
      const wait = Math.round(delay * (0.8 + random() * 0.4));
      delay = Math.min(delay * 2, max);
      return wait;
    },
    reset() {
      delay = initial;
    },
  };
}

function cryptoRandom(): number {
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  return (b[0] ?? 0) / 2 ** 32;
}
