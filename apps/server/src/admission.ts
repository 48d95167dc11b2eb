/**
 * Admission before routing: a token bucket per source (see {@link sourceKey}) over every request
 * and every ACK, checked before the proxy core creates a context. Over UDP a request beyond the
 * rate is dropped without an answer (its transaction ended at once): a 503 to an INVITE flood
 * would be retransmitted until Timer H (RFC 3261 §17.2.1), costing more than the flood, and a
 * legitimate client retransmits and gets through once the bucket refills. Over connections the
 * answer is 503 with Retry-After (RFC 3261 §21.5.4). ACKs beyond the rate are dropped.
 * @see RFC 3261 §17.2, §21.5.4
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import type { ProxyStack } from '@sipts/proxy';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { generateTag, type Remote } from '@sipts/transport';
import { sourceKey, type RateLimiter } from './rate-limit.js';

/** What the gate needs. */
export interface AdmissionOptions {
  limiter: RateLimiter;
  now: () => number;
  /** Seconds in the Retry-After of a 503. */
  retryAfterSeconds: number;
  /** A request (or ACK) was refused: for the metrics and the log. */
  refused: (request: SipRequest, remote: Remote) => void;
}

/**
 * True when a request (or ACK) from `remote` may be routed now; otherwise it has been dealt with
 * (dropped, or answered 503 over a connection).
 * @example if (!admit(rq, remote, st)) return;
 */
export function createAdmission(options: AdmissionOptions): (request: SipRequest, remote: Remote, st?: ServerTransactionHandle) => boolean {
  return (request, remote, st) => {
    if (options.limiter.take(sourceKey(remote.address), options.now())) return true;
    options.refused(request, remote);
    if (st === undefined) return false;
    if (remote.protocol === 'UDP') st.terminate();
    else st.respond(makeResponse(request, 503, undefined, { toTag: generateTag(), headers: { 'retry-after': String(options.retryAfterSeconds) } })).catch(() => undefined);
    return false;
  };
}

/**
 * `stack` with its request hook gated: `admit` runs first for every new request, and a refused
 * request never reaches the proxy core.
 * @example const proxy = createProxy(admitRequests(stack, admit), options, route)
 */
export function admitRequests(stack: ProxyStack, admit: (request: SipRequest, remote: Remote, st: ServerTransactionHandle) => boolean): ProxyStack {
  return {
    send: (rq, o) => stack.send(rq, o),
    sendAck: (rq, o) => stack.sendAck(rq, o),
    setRequestHandler(handler) {
      stack.setRequestHandler((rq, st, remote) => {
        if (admit(rq, remote, st)) handler(rq, st, remote);
      });
    },
    sendStateless: (rs, remote) => stack.sendStateless(rs, remote),
    respond: (rs) => stack.respond(rs),
    transport: stack.transport,
  };
}
