/**
 * One branch of a response context (RFC 3261 §16.6–§16.8): the one object a forwarded request
 * costs the proxy core. It holds the handle that cancels the branch's client transaction, its
 * Timer C and where it stands; the callback the stack calls is made once, when the branch starts,
 * not per response, and the clock calls the branch itself (`onClock`) when it can.
 * @see RFC 3261 §16.7, §16.8
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import type { TimerHandle, TimerTarget } from '@sipts/transaction';
import type { ResponseCallback } from './types.js';

/**
 * Where a branch is: `trying` (sent, no response yet), `proceeding` (a provisional response came:
 * Timer C then cancels instead of answering 408, §16.8), `done` (a final response came, real or
 * synthesized).
 */
export type BranchState = 'trying' | 'proceeding' | 'done';

/** What cancels a branch's client transaction (the stack's `send` handle); INVITE only (§16.10). */
export interface BranchCancel {
  cancel(): void;
}

/** What a branch reports to its context. */
export interface BranchOwner {
  branchResponse(branch: Branch, response: SipResponse): void;
  timerCFired(branch: Branch): void;
}

/** One branch: see the file comment. */
export class Branch implements TimerTarget {
  state: BranchState = 'trying';
  /** Cancels the branch's transaction; set once it was sent (INVITE only). */
  handle: BranchCancel | undefined;
  timerC: TimerHandle | undefined;
  /** The request this branch sent, once sent: Timer C's 408 is built from it (§16.8). */
  request: SipRequest | undefined;
  /** For the stack's `onResponse`. */
  readonly onResponse: (response: SipResponse) => void;
  #owner: BranchOwner;

  /** `callback`: the route callback's response callback for this branch, if any. */
  constructor(
    owner: BranchOwner,
    readonly callback: ResponseCallback | undefined,
  ) {
    this.#owner = owner;
    this.onResponse = (rs) => {
      this.#owner.branchResponse(this, rs);
    };
  }

  /** Timer C fired (the clock's call). */
  onClock(): void {
    this.timerC = undefined;
    this.#owner.timerCFired(this);
  }

  /**
   * The context ended: what still comes on this branch (a 2xx of an INVITE, RFC 6026) goes to
   * `late` instead, and the branch lets go of its context and its request, which its client
   * transaction would otherwise keep for Timer M.
   */
  release(late: BranchOwner): void {
    this.#owner = late;
    this.request = undefined;
    this.handle = undefined;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Cancels the branch's transaction (a CANCEL once a provisional response came, §9.1). */
  cancel(): void {
    this.handle?.cancel();
  }
}
