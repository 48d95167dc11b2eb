/**
 * The transaction layer's contracts (RFC 3261 §17): what a transaction needs from the transport
 * below and gives to its user (the TU) above.
 * @see RFC 3261 §17, RFC 6026
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import type { Logger, Remote, Target, TransportPort } from '@sipts/transport';
import type { Clock, TimerValues } from './clock.js';
import type { WaitingHandOff } from './waiting.js';

/** The states of RFC 3261 Figures 5–8 and RFC 6026 Figures 2 and 5. */
export type TransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** What every transaction is created with. */
export interface TransactionContext {
  transport: TransportPort;
  clock: Clock;
  timers: TimerValues;
  logger: Logger;
}

/** The user of a client transaction (RFC 3261 §17.1): a UA core, a proxy core, or the stack's send(). */
export interface ClientTransactionUser {
  /** Every provisional and final response, and (INVITE, RFC 6026 Accepted) every further 2xx. */
  onResponse(response: SipResponse, remote: Remote): void;
  /** Timer B or F fired (the stack synthesizes a 408 for the user). */
  onTimeout(): void;
  /** The transport failed (the stack synthesizes a 503, or fails over to the next target). */
  onTransportError(error: unknown): void;
  /** The transaction reached Terminated and left the table. */
  onTerminated?(): void;
  /**
   * The transaction only waits now: a non-INVITE in Completed over an unreliable transport
   * absorbs retransmissions of its final response for Timer K (RFC 3261 §17.1.2.2); an INVITE in
   * Accepted passes every further 2xx up for Timer M (RFC 6026 §7.2). Return true to keep it
   * compact yourself (the transaction layer keeps its key and deadline, and the user its further
   * 2xx go to): the machine then runs no timer and calls nothing more, `onTerminated` included.
   */
  onWaiting?(handOff: ClientWaitingHandOff): boolean;
}

/** What a client transaction hands over when it only waits (its user's `onWaiting`). */
export interface ClientWaitingHandOff {
  /** `completed`: a non-INVITE under Timer K; `accepted`: an INVITE under Timer M. */
  readonly what: 'completed' | 'accepted';
  /** How long the state lasts (the timer's value). */
  readonly ms: number;
}

/** The user of a server transaction (RFC 3261 §17.2). */
export interface ServerTransactionUser {
  /** Timer H fired: the ACK never came (RFC 3261 §17.2.1). */
  onTimeout?(): void;
  /** A response could not be sent (RFC 3261 §17.2.4). */
  onTransportError?(error: unknown): void;
  /** The transaction reached Terminated and left the table. */
  onTerminated?(): void;
  /**
   * The transaction entered a state where it only waits (Completed under Timer J, Confirmed
   * under I, Accepted under L). Return true to keep it compact yourself (the transaction layer's
   * table of waiting transactions does): the machine then runs no timer and calls nothing more.
   */
  onWaiting?(handOff: WaitingHandOff): boolean;
}

/** A client transaction as the layer drives it. */
export interface ClientTransaction {
  readonly kind: 'invite-client' | 'non-invite-client';
  readonly state: TransactionState;
  readonly request: SipRequest;
  readonly target: Target;
  /** The branch of the request's top Via: with the method, the matching key (§17.1.3). */
  readonly branch: string;
  /** Sends the request: the transaction starts in Calling/Trying. */
  start(): void;
  /** A response matched this transaction (§17.1.3). */
  receiveResponse(response: SipResponse, remote: Remote): void;
  /** Ends the transaction now, silently (stack shutdown). */
  terminate(): void;
}

/** A server transaction as the layer drives it and the TU answers through it. */
export interface ServerTransaction {
  readonly kind: 'invite-server' | 'non-invite-server';
  readonly state: TransactionState;
  readonly request: SipRequest;
  readonly remote: Remote;
  /** Sends a response from the TU (provisional or final); rejects if the transport fails. */
  respond(response: SipResponse): Promise<void>;
  /** A retransmission of the request, or an ACK (INVITE server, §17.2.1), matched this transaction. */
  receiveRequest(request: SipRequest, remote: Remote): void;
  /** Ends the transaction now, silently (stack shutdown). */
  terminate(): void;
  /**
   * Arms the timer that runs while the TU has not answered (the INVITE's 100 Trying delay, the
   * non-INVITE's give-up guard) unless the TU answered already. Created with `startLater`, a
   * machine waits for this call: a TU that answers inside its callback (most do) then costs no
   * timer at all.
   */
  begin?(): void;
}

/** Options shared by the transaction factories. */
export interface TransactionOptions {
  context: TransactionContext;
  /** True over TCP/TLS/WS/WSS: no retransmissions, and Timers D, I, J, K are zero (§17). */
  reliable: boolean;
  /**
   * The creator calls `begin()` once it has handed the request to the TU (the transaction layer
   * does, after its callback returns); until then no timer is armed. Default false: armed at once.
   */
  startLater?: boolean;
}
