/**
 * A response context (RFC 3261 §16.7): one incoming request, its server transaction, and the
 * branches it was forwarded on: forking in parallel or in sequence, Timer C, CANCEL of every
 * pending branch, best-response selection, and an end that always comes. A branch whose flow
 * failed (RFC 5626 §5.3) ends with 430 Flow Failed, whether the send threw or the stack
 * synthesized it from the transport's `flow-failed` error.
 * @see RFC 3261 §16.5–§16.8, §16.10, RFC 5626 §5.3
 */
import { makeResponse, shareMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { synthesize, type Clock, type ServerTransactionHandle, type TimerHandle } from '@sipts/transaction';
import { generateTag, isFlowFailed, safely, type Logger, type Remote } from '@sipts/transport';
import { chooseBest } from './best-response.js';
import type { ForwardTarget, ResponseCallback } from './types.js';

/** What a context needs from its proxy. */
export interface ContextHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timerC: number;
  readonly contextTimeout: number;
  /**
   * Builds the request of one branch (§16.6 steps 1–8) and sends it; returns that request and,
   * for an INVITE, the handle that cancels it (only an INVITE branch is ever cancelled, §16.10, §16.8).
   */
  sendBranch(ctx: ProxyContext, request: SipRequest, target: ForwardTarget | undefined, onResponse: (rs: SipResponse) => void): SentBranch;
  /** Sends a response upstream outside any context (a late 2xx). */
  respondLate(response: SipResponse): void;
  /** The context ended: forget it. */
  ended(ctx: ProxyContext): void;
}

/** One branch as sent: the request that went out (the proxy's Via on top) and its cancel handle. */
export interface SentBranch {
  readonly request: SipRequest;
  readonly abort: AbortController | undefined;
}

interface Branch {
  /** Cancels the branch (INVITE only: see {@link ContextHost.sendBranch}). */
  abort: AbortController | undefined;
  /** The request this branch sent, once sent: Timer C's 408 is built from it (§16.8). */
  request: SipRequest | undefined;
  readonly callback: ResponseCallback | undefined;
  provisional: boolean;
  done: boolean;
  timerC: TimerHandle | undefined;
}

/** Targets in the order and groups they are tried: one group (parallel) or one per target by descending q. */
export function forkGroups(targets: readonly ForwardTarget[], mode: 'parallel' | 'sequential'): ForwardTarget[][] {
  if (mode === 'parallel') return [targets.slice()];
  return targets
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (b.t.q ?? 1) - (a.t.q ?? 1) || a.i - b.i)
    .map(({ t }) => [t]);
}

/**
 * The response with the proxy's top Via removed (§16.7 item 3), or undefined if nothing is left;
 * every other header is shared with `response` and goes upstream as the bytes that came in.
 */
export function stripVia(response: SipResponse): SipResponse | undefined {
  const via = response.headers.via;
  if (via === undefined || via.length < 2) return undefined;
  const out = shareMessage(response);
  out.headers.via = via.slice(1);
  return out;
}

/** The request a {@link ProxyContext} is for, and where it came from. */
export interface ContextInit {
  /** The context's key in the proxy's table. */
  readonly key: string;
  /** The incoming request after route processing (§16.4). */
  readonly request: SipRequest;
  readonly st: ServerTransactionHandle;
  /** Where the request came from. */
  readonly remote: Remote;
  /** Its loop hash as received (§16.3 item 4). */
  readonly loop: string;
}

/** One incoming request being proxied. */
export class ProxyContext {
  readonly #host: ContextHost;
  readonly #branches = new Set<Branch>();
  readonly #finals: SipResponse[] = [];
  #queue: ForwardTarget[][] = [];
  #request: SipRequest | undefined;
  #callback: ResponseCallback | undefined;
  #finalSent = false;
  #cancelled = false;
  #sixxx = false;
  #ended = false;
  #guard: TimerHandle | undefined;

  readonly key: string;
  readonly request: SipRequest;
  readonly st: ServerTransactionHandle;
  readonly remote: Remote;
  readonly loop: string;

  constructor(host: ContextHost, init: ContextInit) {
    this.#host = host;
    this.key = init.key;
    this.request = init.request;
    this.st = init.st;
    this.remote = init.remote;
    this.loop = init.loop;
    this.#armGuard();
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get pending(): number {
    let n = 0;
    for (const b of this.#branches) if (!b.done) n++;
    return n;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Forwards `request` (the route callback's copy) to `targets`: all at once, or one group at a
   * time. After a final response, a 6xx or a CANCEL no new branch starts (§16.7 item 5, §16.10).
   */
  forward(request: SipRequest, targets: readonly ForwardTarget[], mode: 'parallel' | 'sequential', callback: ResponseCallback | undefined): void {
    if (this.#ended) return;
    if (this.#cancelled) {
      this.#answer(487);
      return;
    }
    if (this.#finalSent || this.#sixxx) {
      this.#host.logger.debug('no new branch after a final response or a 6xx', { method: request.method });
      return;
    }
    this.#request = request;
    this.#callback = callback;
    const groups = forkGroups(targets.length === 0 ? [{}] : targets, mode);
    this.#queue.push(...groups.slice(1));
    this.#startGroup(groups[0] ?? []);
    // Every branch of the group may have failed at once (the send threw): go on from there.
    this.#check();
  }

  /** A response from the route callback (`proxy.send(response)`). */
  respond(response: SipResponse): void {
    this.#sendUp(response);
    this.#check();
  }

  /** RFC 3261 §16.10: the incoming request was cancelled (the layer answered the CANCEL 200). */
  cancel(): void {
    if (this.#ended || this.#cancelled) return;
    this.#cancelled = true;
    this.#queue = [];
    this.#cancelPending();
    if (this.pending === 0) this.#answer(487);
    this.#check();
  }

  /** Ends the context now (stop, or the route callback threw): timers cleared, branches cancelled. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearGuard();
    for (const b of this.#branches) this.#clearTimerC(b);
    this.#cancelPending();
    this.#host.ended(this);
  }

  // ---- branches --------------------------------------------------------------------------------

  #startGroup(group: readonly ForwardTarget[]): void {
    const request = this.#request;
    if (request === undefined) return;
    this.#clearGuard();
    for (const target of group) this.#startBranch(request, target);
  }

  #startBranch(request: SipRequest, target: ForwardTarget): void {
    const callback = this.#callback;
    const branch: Branch = { abort: undefined, request: undefined, callback, provisional: false, done: false, timerC: undefined };
    this.#branches.add(branch);
    const hasTarget = target.uri !== undefined || target.target !== undefined || target.route !== undefined;
    try {
      const sent = this.#host.sendBranch(this, request, hasTarget ? target : undefined, (rs) => {
        this.#onResponse(branch, rs);
      });
      branch.abort = sent.abort;
      branch.request = sent.request;
    } catch (e) {
      this.#host.logger.info('could not forward a request', { error: e });
      branch.done = true;
      // RFC 5626 §5.3: the branch's flow is gone: 430 Flow Failed; any other failure stays a 500.
      this.#finals.push(makeResponse(this.request, isFlowFailed(e) ? 430 : 500, undefined, { toTag: generateTag() }));
      return;
    }
    if (this.isInvite) this.#armTimerC(branch);
  }

  #onResponse(branch: Branch, rs: SipResponse): void {
    if (rs.status < 200) {
      if (branch.done) return;
      branch.provisional = true;
      if (this.isInvite) this.#armTimerC(branch);
      if (branch.callback !== undefined) this.#call(branch.callback, rs);
      else if (rs.status > 100) {
        const up = stripVia(rs);
        if (up !== undefined && !this.#finalSent && !this.#ended) this.#sendUp(up);
      }
      return;
    }
    const wasDone = branch.done;
    branch.done = true;
    this.#clearTimerC(branch);
    if (branch.callback !== undefined) {
      if (!wasDone || rs.status < 300) this.#call(branch.callback, rs);
      this.#check();
      return;
    }
    if (rs.status < 300) {
      // §16.7 item 4 and 9: every 2xx is forwarded at once, also after another final response.
      const up = stripVia(rs);
      if (up !== undefined) {
        if (this.#ended) this.#host.respondLate(up);
        else this.#sendUp(up);
      }
      this.#check();
      return;
    }
    if (wasDone || this.#ended) return;
    const up = stripVia(rs) ?? rs;
    this.#finals.push(up);
    if (rs.status >= 600) {
      // §16.7 item 5: a 6xx cancels the other branches and no new branch starts.
      this.#sixxx = true;
      this.#queue = [];
      this.#cancelPending();
    }
    this.#check();
  }

  /** Every branch done: the next group, or the best response (§16.7 item 6); then maybe the end. */
  #check(): void {
    if (this.#ended || this.pending > 0) return;
    if (!this.#finalSent && this.#request !== undefined) {
      const next = this.#queue.shift();
      if (next !== undefined && !this.#cancelled && !this.#sixxx) {
        this.#startGroup(next);
        if (this.pending > 0) return;
        this.#check();
        return;
      }
      if (this.#callback === undefined || this.#finals.length > 0) {
        const best = chooseBest(this.#finals);
        if (best !== undefined) this.#sendUp(best);
        else if (this.#cancelled) this.#answer(487);
      }
    }
    if (this.#finalSent) {
      this.end();
      return;
    }
    this.#armGuard();
  }

  #sendUp(response: SipResponse): void {
    if (response.status >= 200) {
      if (this.#finalSent && response.status >= 300) return;
      this.#finalSent = true;
      this.#queue = [];
      // §16.7 item 10: a final response was forwarded: cancel what is still pending.
      this.#cancelPending();
    }
    this.st.respond(response).catch((e: unknown) => {
      this.#host.logger.info('could not forward a response', { status: response.status, error: e });
    });
  }

  #answer(status: number): void {
    if (this.#finalSent || this.st.finalSent) {
      this.#finalSent = true;
      return;
    }
    this.#sendUp(makeResponse(this.request, status, undefined, { toTag: this.st.toTag ?? generateTag() }));
  }

  #cancelPending(): void {
    if (!this.isInvite) return;
    for (const b of this.#branches) if (!b.done) b.abort?.abort();
  }

  #call(callback: ResponseCallback, rs: SipResponse): void {
    safely(this.#host.logger, 'a response callback', () => {
      callback(rs);
    });
  }

  // ---- timers ----------------------------------------------------------------------------------

  /** RFC 3261 §16.8: Timer C, (re)started at the branch's start and on each provisional response. */
  #armTimerC(branch: Branch): void {
    this.#clearTimerC(branch);
    branch.timerC = this.#host.clock.set(this.#host.timerC, () => {
      branch.timerC = undefined;
      if (branch.done) return;
      if (branch.provisional) {
        this.#host.logger.debug('Timer C: cancelling a branch');
        branch.abort?.abort();
        return;
      }
      this.#host.logger.debug('Timer C: a branch with no response counts as 408');
      branch.abort?.abort();
      // §16.8: as if the branch's client transaction had received a 408: built from the request
      // it sent, so its top Via is the proxy's own, like any response of the branch.
      if (branch.request !== undefined) this.#onResponse(branch, synthesize(branch.request, 408));
    });
  }

  #clearTimerC(branch: Branch): void {
    if (branch.timerC === undefined) return;
    this.#host.clock.clear(branch.timerC);
    branch.timerC = undefined;
  }

  /** Nothing pending and no final yet: if the route callback does nothing for this long, 408. */
  #armGuard(): void {
    this.#clearGuard();
    this.#guard = this.#host.clock.set(this.#host.contextTimeout, () => {
      this.#guard = undefined;
      if (this.#ended || this.pending > 0) return;
      this.#host.logger.info('a request was not routed in time: 408', { method: this.request.method });
      this.#answer(this.#cancelled ? 487 : 408);
      this.end();
    });
  }

  #clearGuard(): void {
    if (this.#guard === undefined) return;
    this.#host.clock.clear(this.#guard);
    this.#guard = undefined;
  }
}

/** Resolves a target given as text. */
export function toForwardTarget(t: string | ForwardTarget): ForwardTarget {
  return typeof t === 'string' ? { uri: t } : t;
}
