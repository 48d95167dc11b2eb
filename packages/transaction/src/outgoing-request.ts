/**
 * A request sent through the transaction layer to an ordered target list (RFC 3263 §4.3): one
 * client transaction per target tried, each with a new branch; failover on a transport error, a
 * 503 or a timeout; responses synthesized when no real final can come (408, 503, 487, and 430
 * when a flow closed, RFC 5626 §5.3); and CANCEL (RFC 3261 §9.1) once a provisional response has
 * arrived.
 * @see RFC 3263 §4.3, RFC 3261 §8.1.3.1, §9.1, §17.1, RFC 5626 §5.3
 */
import { copyMessage, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { generateBranch, isFlowFailed, isReliable, safely, type Remote, type Target } from '@sipts/transport';
import type { TimerHandle } from './clock.js';
import type { Slotted } from './key-index.js';
import { makeCancel } from './cancel.js';
import { createInviteClientTransaction } from './invite-client.js';
import { clientKeyFor, topBranch } from './matching.js';
import { createNonInviteClientTransaction } from './non-invite-client.js';
import { synthesize } from './synthesize.js';
import type { ClientTransaction, ClientTransactionUser, ClientWaitingHandOff, TransactionContext, TransactionState } from './types.js';

/** The user of a request sent through the transaction layer (a UA core, a proxy core, a stack). */
export interface RequestUser {
  /**
   * Every provisional and final response, every further 2xx of an INVITE (RFC 6026), and the
   * responses the layer synthesizes (408 on a timeout and 503 on a transport error of the last
   * target, 430 when that error is its flow closing (RFC 5626 §5.3), 487 for a cancelled INVITE
   * that got no final in 64·T1), whose `remote` is undefined.
   * A 503 from a target that is not the last is not delivered: the next target is tried.
   */
  onResponse(response: SipResponse, remote: Remote | undefined): void;
  /** Every client transaction of the request has ended (or the layer stopped). Called once. */
  onTerminated?(): void;
  /**
   * The user to keep while an INVITE waits in Accepted (Timer M, 32 s on UDP): further 2xx and
   * the final `onTerminated` go to it instead (RFC 6026 §7.2). Return something small: the table
   * holds it for the whole wait, with everything it points to. Without it, the user itself is kept.
   */
  accepted?(): RequestUser;
}

/**
 * A request in flight: the client transaction of the target being tried (its getters show the
 * current one), plus CANCEL.
 */
export interface OutgoingRequest extends ClientTransaction {
  /** Targets tried so far (1 for the first). */
  readonly attempts: number;
  /**
   * RFC 3261 §9.1: for an INVITE with no final response yet, sends a CANCEL to the current target
   * now if a provisional response has arrived, else as soon as one does; no further target is
   * tried. For other methods only stops failover (a non-INVITE is not cancelled).
   * @returns true when a CANCEL was sent or will be
   */
  cancel(): boolean;
}

/** What an outgoing request needs from its layer. */
export interface ClientTable {
  readonly context: TransactionContext;
  add(key: string, tx: ClientTransaction): void;
  remove(key: string, tx: ClientTransaction): void;
  /**
   * `tx` only waits now (Completed under Timer K, Accepted under Timer M): true if the table took
   * it over as a compact entry (its key for `ms`), out of the live transactions. With `user`
   * (Accepted), every further 2xx goes to `user.onResponse`, and `user.onTerminated` runs when
   * the entry ends.
   */
  wait(key: string, tx: ClientTransaction, ms: number, user: RequestUser | undefined): boolean;
  /** The request has finished: forget it. */
  finished(request: OutgoingRequestImpl): void;
}

/** What an {@link Attempt} reports to the request it belongs to. */
interface AttemptOwner {
  attemptResponse(a: Attempt, rs: SipResponse, remote: Remote): void;
  attemptFailed(a: Attempt, status: 408 | 430 | 503, error: unknown): void;
  attemptEnded(a: Attempt): void;
  attemptWaiting(a: Attempt, handOff: ClientWaitingHandOff): boolean;
}

/**
 * One target tried: its request and client transaction, and the user of that transaction (no
 * closures: its methods report to the owner).
 */
class Attempt implements ClientTransactionUser {
  tx: ClientTransaction | undefined = undefined;
  /** A provisional response arrived (a CANCEL may be sent). */
  provisional = false;
  /** A provisional other than 100 reached the user: no failover after that. */
  ringing = false;
  /** A failure (timeout, transport error, 503) was handled. */
  failed = false;
  ended = false;

  constructor(
    readonly owner: AttemptOwner,
    readonly request: SipRequest,
    readonly target: Target,
    readonly key: string,
  ) {}

  onResponse(rs: SipResponse, remote: Remote): void {
    this.owner.attemptResponse(this, rs, remote);
  }

  onTimeout(): void {
    this.owner.attemptFailed(this, 408, undefined);
  }

  onTransportError(error: unknown): void {
    // RFC 5626 §5.3: the target's flow closed under the request: 430 Flow Failed, not 503.
    this.owner.attemptFailed(this, isFlowFailed(error) ? 430 : 503, error);
  }

  onTerminated(): void {
    this.owner.attemptEnded(this);
  }

  onWaiting(handOff: ClientWaitingHandOff): boolean {
    return this.owner.attemptWaiting(this, handOff);
  }
}

/** The request for attempt `n`: the caller's own object first, then copies with a new branch. */
function requestFor(original: SipRequest, n: number): SipRequest {
  if (n === 0) return original;
  const copy = copyMessage(original);
  const via = copy.headers.via;
  const top = via?.[0];
  if (via !== undefined && top !== undefined) via[0] = { ...top, params: { ...top.params, branch: generateBranch() } };
  return copy;
}

/** The layer's implementation of {@link OutgoingRequest}. */
export class OutgoingRequestImpl implements OutgoingRequest, AttemptOwner, Slotted {
  readonly kind: ClientTransaction['kind'];
  /** Where the layer's set of outgoing requests keeps this one (a {@link SlotSet}); -1 when out of it. */
  slot = -1;
  readonly #table: ClientTable;
  readonly #original: SipRequest;
  readonly #targets: readonly Target[];
  readonly #user: RequestUser;
  readonly #attempts: Attempt[] = [];
  #live = 0;
  #final = false;
  #noFailover = false;
  #cancel: 'none' | 'wanted' | 'sent' = 'none';
  #cancelTimer: TimerHandle | undefined;
  #stopped = false;
  #finished = false;
  /** False once the layer's table tells the user its onTerminated (an INVITE handed over in Accepted). */
  #userEnds = true;

  constructor(table: ClientTable, request: SipRequest, targets: readonly Target[], user: RequestUser) {
    if (targets.length === 0) throw new SipError('invalid-argument', 'an outgoing request needs at least one target');
    this.#table = table;
    this.#original = request;
    this.#targets = targets;
    this.#user = user;
    this.kind = request.method === 'INVITE' ? 'invite-client' : 'non-invite-client';
  }

  get attempts(): number {
    return this.#attempts.length;
  }

  get #current(): Attempt | undefined {
    return this.#attempts[this.#attempts.length - 1];
  }

  get state(): TransactionState {
    if (this.#finished) return 'terminated';
    return this.#current?.tx?.state ?? (this.kind === 'invite-client' ? 'calling' : 'trying');
  }

  get request(): SipRequest {
    return this.#current?.request ?? this.#original;
  }

  get target(): Target {
    return this.#current?.target ?? (this.#targets[0] as Target);
  }

  get branch(): string {
    return topBranch(this.request) ?? '';
  }

  start(): void {
    if (this.#attempts.length === 0) this.#next();
  }

  receiveResponse(response: SipResponse, remote: Remote): void {
    this.#current?.tx?.receiveResponse(response, remote);
  }

  terminate(): void {
    if (this.#finished) return;
    this.#stopped = true;
    this.#clearCancelTimer();
    for (const a of this.#attempts) {
      if (a.ended) continue;
      a.tx?.terminate();
      this.#ended(a);
    }
    this.#maybeFinish();
  }

  cancel(): boolean {
    if (this.#finished || this.#final || this.#stopped) return false;
    this.#noFailover = true;
    if (this.kind !== 'invite-client') return false;
    if (this.#cancel === 'none') {
      this.#cancel = 'wanted';
      if (this.#current?.provisional === true) this.#sendCancel();
    }
    return true;
  }

  // ---- attempts --------------------------------------------------------------------------------

  #next(): void {
    const n = this.#attempts.length;
    const target = this.#targets[n] as Target;
    const request = requestFor(this.#original, n);
    const method = request.headers.cseq?.method ?? request.method;
    const attempt = new Attempt(this, request, target, clientKeyFor(topBranch(request) ?? '', method));
    this.#attempts.push(attempt);
    const options = { context: this.#table.context, reliable: isReliable(target.protocol) };
    const tx = this.kind === 'invite-client' ? createInviteClientTransaction(request, target, options, attempt) : createNonInviteClientTransaction(request, target, options, attempt);
    attempt.tx = tx;
    this.#live++;
    this.#table.add(attempt.key, tx);
    if (n > 0) this.#table.context.logger.debug('trying the next target', { method: request.method, attempt: n + 1, address: target.address, port: target.port });
    tx.start();
  }

  #canFailover(a: Attempt): boolean {
    return this.#attempts.length < this.#targets.length && !a.ringing && !this.#noFailover && !this.#stopped && !this.#final;
  }

  /** @internal An attempt's transaction answered. */
  attemptResponse(a: Attempt, rs: SipResponse, remote: Remote): void {
    this.#onResponse(a, rs, remote);
  }

  /** @internal An attempt's transaction timed out or could not send. */
  attemptFailed(a: Attempt, status: 408 | 430 | 503, error: unknown): void {
    this.#onFailure(a, status, error);
  }

  /** @internal An attempt's transaction ended. */
  attemptEnded(a: Attempt): void {
    this.#ended(a);
  }

  /**
   * @internal An attempt's transaction only waits now: the table keeps it as a key and a deadline
   * (Completed, Timer K), plus this request's user for Accepted (Timer M, further 2xx). For this
   * request the attempt has ended, so neither the request nor its attempts are held meanwhile.
   */
  attemptWaiting(a: Attempt, handOff: ClientWaitingHandOff): boolean {
    if (a.tx === undefined || a.ended) return false;
    // Accepted: further 2xx still reach the user and its onTerminated waits for Timer M, which
    // the table then calls, so only the request's last live transaction is handed over.
    const accepted = handOff.what === 'accepted';
    if (accepted && this.#live !== 1) return false;
    if (!this.#table.wait(a.key, a.tx, handOff.ms, accepted ? (this.#user.accepted?.() ?? this.#user) : undefined)) return false;
    this.#userEnds = !accepted;
    this.#ended(a);
    return true;
  }

  #onResponse(a: Attempt, rs: SipResponse, remote: Remote): void {
    if (a !== this.#current || this.#stopped) return;
    if (rs.status < 200) {
      a.provisional = true;
      if (rs.status > 100) a.ringing = true;
      this.#deliver(rs, remote);
      if (this.#cancel === 'wanted' && !this.#final) this.#sendCancel();
      return;
    }
    if (rs.status === 503 && !a.failed && this.#canFailover(a)) {
      a.failed = true;
      this.#next();
      return;
    }
    this.#setFinal();
    this.#deliver(rs, remote);
  }

  #onFailure(a: Attempt, status: 408 | 430 | 503, error: unknown): void {
    if (a !== this.#current || a.failed || this.#stopped) return;
    a.failed = true;
    if (this.#final) return;
    if (error !== undefined) this.#table.context.logger.debug('a request could not be sent', { method: a.request.method, address: a.target.address, port: a.target.port, error });
    if (this.#canFailover(a)) {
      this.#next();
      return;
    }
    this.#setFinal();
    this.#deliver(synthesize(a.request, status), undefined);
    this.#maybeFinish();
  }

  #ended(a: Attempt): void {
    if (a.ended) return;
    a.ended = true;
    this.#live--;
    if (a.tx !== undefined) this.#table.remove(a.key, a.tx);
    if (this.#live === 0 && !this.#final && !this.#stopped) {
      // A transaction may end just before it reports its timeout: give it until the microtask
      // queue drains, then do not leave the user waiting.
      void Promise.resolve().then(() => {
        if (this.#live !== 0 || this.#final || this.#stopped || this.#finished) return;
        this.#table.context.logger.warn('a client transaction ended without a final response', { method: a.request.method });
        this.#setFinal();
        this.#deliver(synthesize(a.request, 503), undefined);
        this.#maybeFinish();
      });
      return;
    }
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#finished || this.#live !== 0 || !(this.#final || this.#stopped)) return;
    this.#finished = true;
    this.#clearCancelTimer();
    this.#table.finished(this);
    const user = this.#user;
    if (this.#userEnds && user.onTerminated !== undefined) safely(this.#table.context.logger, "the request user's onTerminated", () => user.onTerminated?.());
  }

  #setFinal(): void {
    this.#final = true;
    this.#clearCancelTimer();
  }

  #deliver(rs: SipResponse, remote: Remote | undefined): void {
    safely(this.#table.context.logger, "the request user's onResponse", () => {
      this.#user.onResponse(rs, remote);
    });
  }

  // ---- CANCEL (RFC 3261 §9.1) ------------------------------------------------------------------

  #sendCancel(): void {
    const a = this.#current;
    if (a === undefined) return;
    this.#cancel = 'sent';
    const { context } = this.#table;
    const request = makeCancel(a.request);
    const key = clientKeyFor(topBranch(request) ?? '', 'CANCEL');
    const table = this.#table;
    const user: ClientTransactionUser = {
      onResponse: (rs) => {
        context.logger.debug('CANCEL answered', { status: rs.status });
      },
      onTimeout: () => {
        context.logger.debug('CANCEL timed out');
      },
      onTransportError: (error) => {
        context.logger.debug('CANCEL could not be sent', { error });
      },
      onTerminated: () => {
        table.remove(key, tx);
      },
    };
    const tx = createNonInviteClientTransaction(request, a.target, { context, reliable: isReliable(a.target.protocol) }, user);
    table.add(key, tx);
    tx.start();
    // §9.1: no final response 64·T1 after the CANCEL: the INVITE is considered cancelled.
    this.#cancelTimer = context.clock.set(64 * context.timers.T1, () => {
      this.#cancelTimer = undefined;
      if (this.#final || this.#stopped) return;
      this.#setFinal();
      this.#deliver(synthesize(a.request, 487), undefined);
      if (!a.ended) {
        a.tx?.terminate();
        this.#ended(a);
      }
      this.#maybeFinish();
    });
  }

  #clearCancelTimer(): void {
    if (this.#cancelTimer === undefined) return;
    this.#table.context.clock.clear(this.#cancelTimer);
    this.#cancelTimer = undefined;
  }
}
