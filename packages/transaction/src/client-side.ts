/**
 * The client side of the transaction layer (RFC 3261 §17.1): the live and waiting client
 * transactions, every outgoing request until it finishes (failover across targets, RFC 3263
 * §4.3), matching a response to its transaction (§17.1.3) and what a further 2xx of an INVITE in
 * Accepted goes to (RFC 6026 §7.2).
 * @see RFC 3261 §17.1, §8.1.1.7; RFC 3263 §4.3; RFC 6026 §7.2
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { generateBranch, safely, type Logger, type Remote, type Target } from '@sipts/transport';
import { KeyMap, SlotSet, keyHash } from './key-index.js';
import type { TransactionLayerOptions } from './layer-types.js';
import { clientKey } from './matching.js';
import { OutgoingRequestImpl, type ClientTable, type OutgoingRequest, type RequestUser } from './outgoing-request.js';
import type { ClientTransaction, TransactionContext } from './types.js';
import { WaitingTable } from './waiting.js';

/** RFC 3261 §8.1.1.7: a request the layer sends has a top Via with a branch. */
export function ensureBranch(request: SipRequest, protocol: Target['protocol']): void {
  const via = request.headers.via;
  if (via === undefined || via.length === 0) {
    request.headers.via = [{ version: '2.0', protocol, host: '', port: undefined, params: { branch: generateBranch() } }];
    return;
  }
  const top = via[0];
  if (top !== undefined && (typeof top.params.branch !== 'string' || top.params.branch === '')) top.params.branch = generateBranch();
}

/** What the client side takes from the layer's options. */
export type ClientSideOptions = Pick<TransactionLayerOptions, 'onStrayResponse'> & { readonly context: TransactionContext };

/**
 * The client transactions of one layer. It is also the table its outgoing requests report to
 * ({@link ClientTable}): each method hashes a key once for every table it looks in.
 */
export class ClientSide implements ClientTable {
  readonly context: TransactionContext;
  readonly #logger: Logger;
  readonly #onStray: ((response: SipResponse, remote: Remote) => void) | undefined;
  /**
   * Live client transactions by key, and every outgoing request until it finishes. Not a `Map`
   * and a `Set`: their churn kept finished transactions alive through young collections (key-index.ts).
   */
  readonly #clients = new KeyMap<ClientTransaction>();
  readonly #outgoing = new SlotSet<OutgoingRequestImpl>();
  /**
   * Client transactions that only wait (Completed under Timer K, Accepted under M): a key and a
   * deadline each, and for Accepted the request's user, which further 2xx go to (RFC 6026 §7.2).
   */
  readonly #acceptedUsers = new KeyMap<RequestUser>();
  readonly #waiting: WaitingTable;
  #stopped = false;

  constructor(options: ClientSideOptions) {
    this.context = options.context;
    this.#logger = options.context.logger;
    this.#onStray = options.onStrayResponse;
    this.#waiting = new WaitingTable({
      clock: options.context.clock,
      onExpired: (entry) => {
        this.#endAccepted(entry.key, entry.hash);
      },
    });
  }

  /** Client transactions, live or waiting. */
  get size(): number {
    return this.#clients.size + this.#waiting.size;
  }

  /** An INVITE handed over in Accepted ended (Timer M, a reused key, stop): its user is told. */
  #endAccepted(key: string, hash: number = keyHash(key)): void {
    const user = this.#acceptedUsers.get(key, hash);
    if (user === undefined) return;
    this.#acceptedUsers.delete(key, hash);
    if (user.onTerminated !== undefined) safely(this.#logger, "the request user's onTerminated", () => user.onTerminated?.());
  }

  // ---- the table the outgoing requests report to ------------------------------------------------

  add(key: string, tx: ClientTransaction): void {
    const hash = keyHash(key);
    if (this.#waiting.delete(key, hash)) this.#endAccepted(key, hash);
    const existing = this.#clients.get(key, hash);
    if (existing !== undefined && existing !== tx) this.#logger.warn('two client transactions with one key: the newer wins', { key });
    this.#clients.set(key, tx, hash);
  }

  remove(key: string, tx: ClientTransaction): void {
    const hash = keyHash(key);
    if (this.#clients.get(key, hash) === tx) this.#clients.delete(key, hash);
  }

  wait(key: string, tx: ClientTransaction, ms: number, user: RequestUser | undefined): boolean {
    if (this.#stopped) return false;
    const hash = keyHash(key);
    if (this.#clients.get(key, hash) !== tx) return false;
    this.#clients.delete(key, hash);
    this.#waiting.addClient(key, ms, hash);
    if (user !== undefined) this.#acceptedUsers.set(key, user, hash);
    return true;
  }

  finished(request: OutgoingRequestImpl): void {
    this.#outgoing.delete(request);
  }

  // ---- requests out, responses in ---------------------------------------------------------------

  /** See {@link TransactionLayer.sendRequest}. */
  sendRequest(request: SipRequest, targets: readonly Target[], user: RequestUser): OutgoingRequest {
    if (this.#stopped) throw new SipError('invalid-state', 'the transaction layer is stopped');
    if (request.method === 'ACK') throw new SipError('invalid-argument', 'an ACK has no client transaction: use sendAck');
    const first = targets[0];
    if (first === undefined) throw new SipError('invalid-argument', `no target to send ${request.method} to`);
    ensureBranch(request, first.protocol);
    const out = new OutgoingRequestImpl(this, request, targets, user);
    this.#outgoing.add(out);
    out.start();
    return out;
  }

  /** A response from the transport: to its client transaction (§17.1.3), a waiting one's user, or the stray handler. */
  receiveResponse(response: SipResponse, remote: Remote): void {
    if (this.#stopped) return;
    const key = clientKey(response);
    const hash = key === undefined ? 0 : keyHash(key);
    const tx = key === undefined ? undefined : this.#clients.get(key, hash);
    if (tx !== undefined) {
      tx.receiveResponse(response, remote);
      return;
    }
    if (key !== undefined && this.#waiting.get(key, hash) !== undefined) {
      // RFC 6026 §7.2: a further 2xx of an INVITE in Accepted goes to the request's user; the
      // rest, and a retransmitted final of a non-INVITE in Completed (§17.1.2.2), is absorbed.
      const user = this.#acceptedUsers.get(key, hash);
      if (user !== undefined && response.status >= 200 && response.status < 300) {
        safely(this.#logger, "the request user's onResponse", () => {
          user.onResponse(response, remote);
        });
      }
      return;
    }
    const onStray = this.#onStray;
    if (onStray === undefined) {
      this.#logger.debug('dropped a response that matches no transaction', { status: response.status, callId: response.headers['call-id'] });
      return;
    }
    safely(this.#logger, 'onStrayResponse', () => {
      onStray(response, remote);
    });
  }

  /** No new request and no hand-over to the waiting table from now on (the layer is stopping). */
  halt(): void {
    this.#stopped = true;
  }

  /** Terminates every outgoing request and client transaction silently; waiting users are told they ended. */
  stop(): void {
    this.#stopped = true;
    for (const out of this.#outgoing.values()) out.terminate();
    for (const tx of this.#clients.values()) tx.terminate();
    this.#outgoing.clear();
    this.#clients.clear();
  }

  /** Forgets the waiting transactions (after the server side stopped, as the layer always did). */
  stopWaiting(): void {
    this.#waiting.clear();
    for (const key of this.#acceptedUsers.keys()) this.#endAccepted(key);
  }
}
