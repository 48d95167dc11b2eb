/**
 * A back-to-back user agent (RFC 3261 §6 "B2BUA", RFC 7092): an incoming call bridged to a new
 * outgoing one. SDP passes through untouched; provisional responses (and their early SDP) go back to
 * the caller; the callee's final response is mapped to the caller; CANCEL and BYE propagate; a
 * re-INVITE or UPDATE offer on one leg is relayed to the other and its answer returned.
 * @see RFC 3261 §6, RFC 7092 §3 (signaling-only B2BUA)
 */
import { stringifyNameAddr, SipError } from '@sipts/message';
import { CallFailedError } from './errors.js';
import type { IncomingCall } from './incoming-call.js';
import type { InviteOptions } from './outgoing-call.js';
import type { Session } from './session.js';

/** Options of {@link createB2BUA}. */
export interface B2BUAOptions {
  /** Extra INVITE options for the B leg (headers, from). */
  invite?: Partial<Omit<InviteOptions, 'to' | 'body' | 'signal'>>;
  /** Maps the B leg's final failure status to the status sent to A. Default {@link mapFailureStatus}. */
  mapStatus?: (status: number) => number;
}

/** Both legs of a bridged call. */
export interface B2BUACall {
  a: Session;
  b: Session;
  /** Resolves when both legs have ended. */
  ended: Promise<void>;
}

/**
 * The default mapping of the B leg's failure to the A leg: the status passes through, except
 * 401/407 (the B leg's next hop asked the B2BUA for credentials: meaningless to the caller) → 502,
 * and 3xx (redirects are the B2BUA's business) → 480.
 */
export function mapFailureStatus(status: number): number {
  if (status === 401 || status === 407) return 502;
  if (status >= 300 && status < 400) return 480;
  return status;
}

/** Relays offers arriving on `from` to `to` as re-INVITEs and answers with what comes back. */
function relayOffers(from: Session, to: Session): void {
  from.onOffer = async (offer, request) => {
    if (request.method === 'UPDATE' && to.peerAllowsUpdate) {
      await to.update({ body: offer });
    } else {
      await to.reinvite({ body: offer });
    }
    return to.sdp.remote ?? '';
  };
}

/** Ends the other leg when one ends (BYE propagation). */
function hangUpTogether(a: Session, b: Session): Promise<void> {
  const other = (leg: Session, peer: Session): void => {
    leg.on('ended', () => {
      if (peer.state !== 'terminated') void peer.bye().catch(() => undefined);
    });
  };
  other(a, b);
  other(b, a);
  return Promise.all([a.ended, b.ended]).then(() => undefined);
}

/**
 * Bridges `call` (the A leg) to `target` (the B leg), from the UA that received the call.
 * @returns both sessions once A's ACK has arrived
 * @throws CallFailedError when B fails (A got the mapped status); SipError `invalid-state` when A cancelled
 * @example
 * ua.on('invite', (call) => void createB2BUA(call, 'sip:bob@127.0.0.1:5080').catch(() => undefined));
 * @see RFC 7092
 */
export async function createB2BUA(call: IncomingCall, target: string, options: B2BUAOptions = {}): Promise<B2BUACall> {
  const ac = new AbortController();
  call.on('cancel', () => {
    ac.abort(new SipError('cancelled', 'the caller cancelled', { status: 487 }));
  });
  const fromA = call.request.headers.from;
  const from = fromA === undefined ? undefined : stringifyNameAddr({ ...fromA, params: {} });
  let b: Session;
  try {
    b = await call.core.invite({
      ...(from !== undefined ? { from } : {}),
      ...options.invite,
      to: target,
      ...(call.offer !== undefined ? { body: call.offer } : {}),
      signal: ac.signal,
      onProgress(rs) {
        if (rs.status === 180 || rs.status === 183) {
          const body = typeof rs.content === 'string' ? rs.content : '';
          void call.progress(rs.status, body !== '' ? { body } : {}).catch(() => undefined);
        }
      },
    });
  } catch (e) {
    if (!call.cancelled) {
      const status = e instanceof CallFailedError ? (options.mapStatus ?? mapFailureStatus)(e.response.status) : 500;
      await call.reject(status).catch(() => undefined);
    }
    throw e;
  }
  if (call.cancelled) {
    void b.bye().catch(() => undefined);
    throw new SipError('invalid-state', 'the caller cancelled', { status: 487 });
  }
  let a: Session;
  try {
    a = await call.accept({ body: b.sdp.remote ?? '' });
  } catch (e) {
    if (b.state !== 'terminated') void b.bye().catch(() => undefined);
    throw e;
  }
  relayOffers(a, b);
  relayOffers(b, a);
  return { a, b, ended: hangUpTogether(a, b) };
}
