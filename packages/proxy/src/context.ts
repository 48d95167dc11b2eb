/**
 * A response context (RFC 3261 §16.7): one incoming request, its server transaction, and the
 * branches it was forwarded on: forking in parallel or in sequence, Timer C, CANCEL of every
 * pending branch, best-response selection, and an end that always comes. A branch whose flow
 * failed (RFC 5626 §5.3) ends with 430 Flow Failed, whether the send threw or the stack
 * synthesized it from the transport's `flow-failed` error.
 * @see RFC 3261 §16.5–§16.8, §16.10, RFC 5626 §5.3
 */
import { makeResponse, shareMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { setCallOn, synthesize, type Clock, type ServerTransactionHandle, type TimerHandle, type TimerTarget } from '@sipts/transaction';
import { generateTag, isFlowFailed, safely, type Logger, type Remote } from '@sipts/transport';
import { chooseBest } from './best-response.js';
import { Branch, type BranchCancel, type BranchOwner } from './branch.js';
import type { ForwardTarget, ResponseCallback } from './types.js';

/** What a context needs from its proxy. */
export interface ContextHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timerC: number;
  readonly contextTimeout: number;
  /**
   * Builds the request of one branch (§16.6 steps 1–8) and sends it with `branch.onResponse`;
   * records the request it sent as `branch.request` (Timer C's 408 is built from it, §16.8) and
   * returns what cancels it, for an INVITE (only an INVITE branch is ever cancelled, §16.10, §16.8).
   */
  sendBranch(ctx: ProxyContext, request: SipRequest, target: ForwardTarget | undefined, branch: Branch): BranchCancel | undefined;
  /** Sends a response upstream outside any context (a late 2xx). */
  respondLate(response: SipResponse): void;
  /** The context ended: forget it. */
  ended(ctx: ProxyContext): void;
  /** Takes the branches of ended contexts (one for the proxy): see {@link LateBranches}. */
  readonly late: BranchOwner;
}

/**
 * The owner of the branches of every ended context. A context ends at its final response
 * upstream (§16.7 item 10); after that only a further 2xx of an INVITE matters (§16.7 items 4
 * and 9, RFC 6026), forwarded upstream with no context: to the branch's response callback if it
 * has one, else with the proxy's Via removed. Provisional and non-2xx final responses reach the
 * callback as they would have reached it from the ended context; no timer is armed.
 */
export class LateBranches implements BranchOwner {
  constructor(
    readonly logger: Logger,
    readonly respondLate: (response: SipResponse) => void,
  ) {}

  branchResponse(branch: Branch, rs: SipResponse): void {
    const wasDone = branch.done;
    if (rs.status >= 200) branch.state = 'done';
    else if (wasDone) return;
    else branch.state = 'proceeding';
    const callback = branch.callback;
    if (callback !== undefined) {
      if (rs.status < 200 || !wasDone || rs.status < 300) {
        safely(this.logger, 'a response callback', () => {
          callback(rs);
        });
      }
      return;
    }
    if (rs.status < 200 || rs.status >= 300) return;
    const up = stripVia(rs);
    if (up !== undefined) this.respondLate(up);
  }

  timerCFired(): void {
    // An ended context's timers were cleared: nothing is armed for its branches.
  }
}

/**
 * Where a context is, one value instead of a flag per fact:
 * - `routing`: new branches may start (the route callback forwards, §16.5);
 * - `cancelled`: the incoming request was cancelled (§16.10): no new branch; 487 when none is pending;
 * - `global-failure`: a 6xx came (§16.7 item 5): no new branch, the others cancelled;
 * - `answered`: a final response went upstream (§16.7 item 10): only 2xx follow it;
 * - `ended`: timers cleared, forgotten by the proxy; a late 2xx still goes upstream statelessly.
 */
export type ContextState = 'routing' | 'cancelled' | 'global-failure' | 'answered' | 'ended';

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

/**
 * One incoming request being proxied.
 *
 * Its lists are made with `Array.of()`, not `[]`: V8 moves the objects of a literal that mostly
 * outlive a young collection (every context at a busy start-up) into the old generation for good,
 * and an ended context's old list then kept its branches and responses, with their messages, alive
 * through young collections (see plain.ts in @sipts/message, bench/BUDGET.md seventh pass).
 */
export class ProxyContext implements BranchOwner, TimerTarget {
  readonly #host: ContextHost;
  readonly #branches: Branch[] = Array.of<Branch>();
  /** Branches not done yet (kept, not counted on each look). */
  #pending = 0;
  readonly #finals: SipResponse[] = Array.of<SipResponse>();
  #queue: ForwardTarget[][] = Array.of<ForwardTarget[]>();
  #request: SipRequest | undefined;
  #callback: ResponseCallback | undefined;
  #state: ContextState = 'routing';
  #guard: TimerHandle | undefined;

  /** One handler per context, not a closure per response sent upstream; made at the first response. */
  #onSendUpError: ((e: unknown) => void) | undefined = undefined;

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

  /** Where the context is (see {@link ContextState}). */
  get state(): ContextState {
    return this.#state;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get pending(): number {
    return this.#pending;
  }

  get ended(): boolean {
    return this.#state === 'ended';
  }

  /**
   * Forwards `request` (the route callback's copy) to `targets`: all at once, or one group at a
   * time. After a final response, a 6xx or a CANCEL no new branch starts (§16.7 item 5, §16.10).
   */
  forward(request: SipRequest, targets: readonly ForwardTarget[], mode: 'parallel' | 'sequential', callback: ResponseCallback | undefined): void {
    const state = this.#state;
    if (state === 'ended') return;
    if (state === 'cancelled') {
      this.#answer(487);
      return;
    }
    if (state !== 'routing') {
      this.#host.logger.debug('no new branch after a final response or a 6xx', { method: request.method });
      return;
    }
    this.#request = request;
    this.#callback = callback;
    if (mode === 'parallel' || targets.length < 2) this.#startGroup(targets.length === 0 ? NO_TARGET : targets);
    else {
      const groups = forkGroups(targets, mode);
      this.#queue.push(...groups.slice(1));
      this.#startGroup(groups[0] ?? []);
    }
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
    if (this.#state !== 'routing' && this.#state !== 'global-failure') return;
    this.#state = 'cancelled';
    this.#queue = Array.of<ForwardTarget[]>();
    this.#cancelPending();
    if (this.pending === 0) this.#answer(487);
    this.#check();
  }

  /** Ends the context now (stop, or the route callback threw): timers cleared, branches cancelled. */
  end(): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#clearGuard();
    for (const b of this.#branches) this.#clearTimerC(b);
    this.#cancelPending();
    const late = this.#host.late;
    for (const b of this.#branches) b.release(late);
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
    const branch = new Branch(this, this.#callback);
    this.#branches.push(branch);
    this.#pending++;
    const hasTarget = target.uri !== undefined || target.target !== undefined || target.route !== undefined;
    try {
      branch.handle = this.#host.sendBranch(this, request, hasTarget ? target : undefined, branch);
    } catch (e) {
      this.#host.logger.info('could not forward a request', { error: e });
      this.#finish(branch);
      // RFC 5626 §5.3: the branch's flow is gone: 430 Flow Failed; any other failure stays a 500.
      this.#finals.push(makeResponse(this.request, isFlowFailed(e) ? 430 : 500, undefined, { toTag: generateTag() }));
      return;
    }
    if (this.isInvite && !branch.done) this.#armTimerC(branch);
  }

  /** A response on `branch` (for {@link Branch}; not for applications). */
  branchResponse(branch: Branch, rs: SipResponse): void {
    if (rs.status < 200) {
      if (branch.done) return;
      branch.state = 'proceeding';
      if (this.isInvite) this.#armTimerC(branch);
      if (branch.callback !== undefined) this.#call(branch.callback, rs);
      else if (rs.status > 100) {
        const up = stripVia(rs);
        if (up !== undefined && this.#state !== 'answered' && this.#state !== 'ended') this.#sendUp(up);
      }
      return;
    }
    const wasDone = branch.done;
    this.#finish(branch);
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
        if (this.#state === 'ended') this.#host.respondLate(up);
        else this.#sendUp(up);
      }
      this.#check();
      return;
    }
    if (wasDone || this.#state === 'ended') return;
    this.#finals.push(stripVia(rs) ?? rs);
    if (rs.status >= 600) {
      // §16.7 item 5: a 6xx cancels the other branches and no new branch starts.
      if (this.#state === 'routing') this.#state = 'global-failure';
      this.#queue = Array.of<ForwardTarget[]>();
      this.#cancelPending();
    }
    this.#check();
  }

  #finish(branch: Branch): void {
    if (branch.done) return;
    branch.state = 'done';
    this.#pending--;
  }

  /** Every branch done: the next group, or the best response (§16.7 item 6); then maybe the end. */
  #check(): void {
    if (this.#state === 'ended' || this.pending > 0) return;
    if (this.#state !== 'answered' && this.#request !== undefined) {
      const next = this.#queue.shift();
      if (next !== undefined && this.#state === 'routing') {
        this.#startGroup(next);
        if (this.pending > 0) return;
        this.#check();
        return;
      }
      if (this.#callback === undefined || this.#finals.length > 0) {
        const best = chooseBest(this.#finals);
        if (best !== undefined) this.#sendUp(best);
        else if (this.#state === 'cancelled') this.#answer(487);
      }
    }
    if (this.#isAnswered()) {
      this.end();
      return;
    }
    this.#armGuard();
  }

  /** Read through a call: the state changes under the methods #check calls. */
  #isAnswered(): boolean {
    return this.#state === 'answered';
  }

  #sendUp(response: SipResponse): void {
    if (response.status >= 200) {
      if (this.#state === 'answered' && response.status >= 300) return;
      if (this.#state !== 'ended') this.#state = 'answered';
      this.#queue = Array.of<ForwardTarget[]>();
      // §16.7 item 10: a final response was forwarded: cancel what is still pending.
      this.#cancelPending();
    }
    this.st.respond(response).catch((this.#onSendUpError ??= (e: unknown) => {
      this.#host.logger.info('could not forward a response', { callId: this.request.headers['call-id'], error: e });
    }));
  }

  #answer(status: number): void {
    if (this.#state === 'answered' || this.st.finalSent) {
      if (this.#state !== 'ended') this.#state = 'answered';
      return;
    }
    this.#sendUp(makeResponse(this.request, status, undefined, { toTag: this.st.toTag ?? generateTag() }));
  }

  #cancelPending(): void {
    if (!this.isInvite) return;
    for (const b of this.#branches) if (!b.done) b.cancel();
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
    branch.timerC = setCallOn(this.#host.clock, this.#host.timerC, branch, 0);
  }

  /** Timer C fired on `branch` (for {@link Branch}; not for applications). */
  timerCFired(branch: Branch): void {
    if (branch.done) return;
    branch.cancel();
    if (branch.state === 'proceeding') {
      this.#host.logger.debug('Timer C: cancelling a branch');
      return;
    }
    this.#host.logger.debug('Timer C: a branch with no response counts as 408');
    // §16.8: as if the branch's client transaction had received a 408: built from the request it
    // sent, so its top Via is the proxy's own, like any response of the branch.
    if (branch.request !== undefined) this.branchResponse(branch, synthesize(branch.request, 408));
  }

  #clearTimerC(branch: Branch): void {
    if (branch.timerC === undefined) return;
    this.#host.clock.clear(branch.timerC);
    branch.timerC = undefined;
  }

  /** Nothing pending and no final yet: if the route callback does nothing for this long, 408. */
  #armGuard(): void {
    this.#clearGuard();
    this.#guard = setCallOn(this.#host.clock, this.#host.contextTimeout, this, 0);
  }

  /** The guard fired (the clock's call; the context's only timer). */
  onClock(): void {
    this.#guard = undefined;
    if (this.#state === 'ended' || this.pending > 0) return;
    this.#host.logger.info('a request was not routed in time: 408', { method: this.request.method });
    this.#answer(this.#state === 'cancelled' ? 487 : 408);
    this.end();
  }

  #clearGuard(): void {
    if (this.#guard === undefined) return;
    this.#host.clock.clear(this.#guard);
    this.#guard = undefined;
  }
}

/** The one target of a request forwarded with none named: its own Request-URI. */
const NO_TARGET: readonly ForwardTarget[] = [{}];

/** Resolves a target given as text. */
export function toForwardTarget(t: string | ForwardTarget): ForwardTarget {
  return typeof t === 'string' ? { uri: t } : t;
}
