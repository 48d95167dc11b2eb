/**
 * The classic `send(request, callback)` over a stack: the request is changed in place as the
 * classic library changed it (Via unshifted with a branch, CSeq parsed, Route processed), every
 * response reaches the callback once, and the classic synthesized responses are kept: 404 (no
 * target), 430 (a flow this stack cannot use), 408 (timeout, ring time limit) and 503.
 * @see RFC 3261 §8.1.2, §17.1; RFC 3263 §4; RFC 5626 §5.3
 */
import { isSipUri, makeResponse, parseCSeq, parseUri, SipError, stringifyUri, type SipRequest, type SipResponse, type SipUri, type Via } from '@sipts/message';
import { generateBranch, generateTag, isFlowFailed, safely } from '@sipts/transport';
import type { Clock, TimerHandle } from '@sipts/transaction';
import type { Logger, Stack, Target, TransportProtocol } from './layers.js';
import { targetOfFlow } from './flow.js';
import { routeRequest, type Self } from './routing.js';
import type { ToTags } from './to-tag.js';

/** What {@link sendRequest} needs from its instance. */
export interface SendContext {
  readonly stack: Stack;
  readonly self: Self;
  readonly logger: Logger;
  /** Transports this stack has. */
  readonly protocols: ReadonlySet<TransportProtocol>;
  /** RFC 3263 resolution of a next-hop URI. */
  resolve(uri: string): Promise<Target[]>;
  /** The targets of a next hop that needs no lookup (a numeric host), at once; else undefined. */
  resolveNow?(uri: SipUri): Target[] | undefined;
  readonly maxForwards: number;
  readonly ringTimeLimit: number;
  /** The stack's own clock (injected or its default): the ring-time limit runs on it. */
  readonly clock: Clock;
  /** Ring-time timers, cleared when the instance stops. */
  readonly timers: Set<TimerHandle>;
  /** The instance's To tags: a response handed to a callback is marked, so that forwarding it never tags it. */
  readonly toTags: ToTags;
}

/** A classic response callback. */
export type ResponseCallback = (response: SipResponse) => void;

/**
 * A response the facade makes up (404 no target, 430 unusable flow, 408 ring time limit, 503):
 * with a To tag when the request had none (RFC 3261 §8.2.6.2), as the stack's own, so that an
 * application forwarding it upstream sends a response like every other.
 */
function synthesized(rq: SipRequest, status: number): SipResponse {
  const tagged = typeof rq.headers.to?.params.tag === 'string';
  return makeResponse(rq, status, undefined, tagged ? undefined : { toTag: generateTag() });
}

function deliver(ctx: SendContext, callback: ResponseCallback, rs: SipResponse): void {
  ctx.toTags.received(rs);
  safely(ctx.logger, 'a send() callback', () => {
    callback(rs);
  });
}

/**
 * Sends a request the classic way (see the file comment). Throws only for a message that is not a
 * request at all (no headers), as the classic library did.
 * @example sendRequest(ctx, options, (rs) => console.log(rs.status))
 */
export function sendRequest(ctx: SendContext, rq: SipRequest, callback: ResponseCallback = () => undefined): void {
  const h = rq.headers as SipRequest['headers'] | undefined;
  if (h === undefined) throw new SipError('invalid-argument', 'a request needs headers');
  if (typeof h.cseq === 'string') h.cseq = parseCSeq(h.cseq);
  // RFC 3261 §8.1.1.6: a request carries Max-Forwards.
  h['max-forwards'] ??= String(ctx.maxForwards);
  const hop = routeRequest(rq, ctx.self);
  if (rq.method !== 'ACK' && rq.method !== 'CANCEL') {
    // The classic contract: a new top Via in the caller's object (the transport fills it in).
    const via: Via = { version: '2.0', protocol: 'UDP', host: '', port: undefined, params: { branch: generateBranch() } };
    if (Array.isArray(h.via)) h.via.unshift(via);
    else h.via = [via];
  }
  let targets: Target[] | Promise<Target[]>;
  if ('flow' in hop) {
    // RFC 5626 §5.3: a flow over a transport this stack does not have is 430. A flow whose
    // connection closed is the transport's `flow-failed`, which the transaction answers 430.
    if (!ctx.protocols.has(hop.flow.protocol)) {
      if (rq.method !== 'ACK') deliver(ctx, callback, synthesized(rq, 430));
      return;
    }
    targets = [targetOfFlow(hop.flow)];
  } else if (hop.isFlowHost && typeof hop.uri !== 'string' && isSipUri(hop.uri) && hop.uri.port === undefined && hop.uri.user !== undefined) {
    // A flow URI of ours whose token does not verify: no such flow (the classic 404).
    deliver(ctx, callback, synthesized(rq, 404));
    return;
  } else {
    const uri = typeof hop.uri === 'string' ? parseUri(hop.uri) : hop.uri;
    targets = (uri !== undefined && isSipUri(uri) ? ctx.resolveNow?.(uri) : undefined) ?? ctx.resolve(stringifyUri(hop.uri));
  }
  // A flow or a numeric host: sent now, no Promise (the stack holds the responses until we return).
  if (Array.isArray(targets)) {
    dispatch(ctx, rq, targets, callback);
    return;
  }
  targets.then(
    (list) => {
      dispatch(ctx, rq, list, callback);
    },
    (e: unknown) => {
      ctx.logger.debug('could not resolve the next hop', { error: e });
      const status = e instanceof SipError && typeof e.status === 'number' ? e.status : 503;
      if (rq.method !== 'ACK') deliver(ctx, callback, synthesized(rq, status));
    },
  );
}

function dispatch(ctx: SendContext, rq: SipRequest, targets: Target[], callback: ResponseCallback): void {
  const first = targets[0];
  if (rq.method === 'ACK') {
    if (first === undefined) {
      ctx.logger.error(`ACK: could not resolve ${stringifyUri(rq.uri)}`, {});
      return;
    }
    ctx.stack.sendAck(rq, { target: first }).catch((e: unknown) => {
      // An ACK whose flow is gone has no one to tell (RFC 5626 §5.3): not an error of ours.
      if (isFlowFailed(e)) ctx.logger.debug('an ACK’s flow is gone: not sent', { error: e });
      else ctx.logger.error('could not send an ACK', { error: e });
    });
    return;
  }
  if (first === undefined) {
    deliver(ctx, callback, synthesized(rq, 404));
    return;
  }
  let onResponse = (rs: SipResponse): void => {
    deliver(ctx, callback, rs);
  };
  let signal: AbortSignal | undefined;
  if (rq.method === 'INVITE' && ctx.ringTimeLimit > 0) {
    const ring = ringLimit(ctx, rq, onResponse);
    onResponse = ring.onResponse;
    signal = ring.signal;
  }
  // The facade resolved the next hop itself (flows, the classic 404): the stack fails over along that list.
  ctx.stack.send(rq, { onResponse, targets, ...(signal !== undefined ? { signal } : {}) });
}

/**
 * The classic `ringTimeLimit`: a ringing INVITE is CANCELled and reported as a 408. The limit runs
 * on the stack's clock, so a fake clock drives it like every transaction timer.
 */
function ringLimit(ctx: SendContext, rq: SipRequest, next: (rs: SipResponse) => void): { onResponse: (rs: SipResponse) => void; signal: AbortSignal } {
  const controller = new AbortController();
  let timer: TimerHandle | undefined;
  let expired = false;
  const clear = (): void => {
    if (timer === undefined) return;
    ctx.clock.clear(timer);
    ctx.timers.delete(timer);
    timer = undefined;
  };
  const onResponse = (rs: SipResponse): void => {
    if (rs.status < 200) {
      if (timer === undefined && !expired) {
        const fired = ctx.clock.set(ctx.ringTimeLimit, () => {
          ctx.timers.delete(fired);
          timer = undefined;
          expired = true;
          controller.abort();
          next(synthesized(rq, 408));
        });
        timer = fired;
        ctx.timers.add(fired);
      }
    } else {
      clear();
      // After the 408 only a 2xx still matters (the call was answered as the CANCEL crossed it).
      if (expired && rs.status >= 300) return;
    }
    if (!expired || rs.status >= 200) next(rs);
  };
  return { onResponse, signal: controller.signal };
}
