/**
 * The server side of the transaction layer (RFC 3261 §17.2): the live and waiting server
 * transactions, matching a request to them (§17.2.3), the ACK (§17.2.1) and CANCEL (§9.2) rules,
 * merged requests (§8.2.2.2), the bound on server transactions (§21.5.4) and responses sent with
 * no transaction (§18.2.2).
 * @see RFC 3261 §17.2, §9.2, §8.2.2, §18.2.2; RFC 6026 §7.1
 */
import { makeResponse, SipError, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { asSendError, generateTag, hasMagicCookie, isReliable, safely, sendAwaitable, type Logger, type PreparedResponse, type Remote } from '@sipts/transport';
import { AnsweredByLayer } from './answered-by-layer.js';
import { createInviteServerTransaction } from './invite-server.js';
import { KeyIndex, keyHash } from './key-index.js';
import type { TransactionLayerOptions, TransactionStats } from './layer-types.js';
import { ackKeys, mergeKey, responseServerKey, serverKey } from './matching.js';
import { MergedRequests } from './merged-requests.js';
import { createNonInviteServerTransaction } from './non-invite-server.js';
import { ServerHandle, type ServerHandleOwner, type ServerTransactionHandle } from './server-handle.js';
import { resendResponseBytes } from './transaction-base.js';
import type { TransactionContext } from './types.js';
import { DEFAULT_URI_SCHEMES, isSchemeHandled, uriSchemeOf } from './uri-scheme.js';
import { WaitingTable, type WaitingEntry, type WaitingHandOff } from './waiting.js';

/** Shared by every `respond` that needs no Promise of its own. */
const SENT: Promise<void> = Promise.resolve();

/** Seconds in the Retry-After of a 503 over the bound: waiting entries end in the order they came, so room frees up steadily (RFC 3261 §20.33). */
const OVERLOAD_RETRY_AFTER = '5';

/** A rejection handler that logs what could not be sent. */
export function logSendFailure(logger: Logger, what: string): (e: unknown) => void {
  return (e) => {
    logger.info(`could not send ${what}`, { error: e });
  };
}

/**
 * True when `message` carries `request`'s top Via branch (with the magic cookie) and sent-by and
 * its CSeq method, written the same: the same transaction key (§17.2.3), with no key built. Other
 * spellings of the same key (case) are left to the key lookup.
 */
function answersRequest(message: SipMessage, request: SipRequest): boolean {
  const a = message.headers.via?.[0];
  const b = request.headers.via?.[0];
  if (a === undefined || b === undefined) return false;
  const branch = a.params.branch;
  return (
    typeof branch === 'string' &&
    branch === b.params.branch &&
    hasMagicCookie(branch) &&
    a.host === b.host &&
    a.port === b.port &&
    message.headers.cseq?.method === request.method
  );
}

/** What the server side takes from the layer's options. */
export type ServerSideOptions = Pick<TransactionLayerOptions, 'onServerTransaction' | 'onAck' | 'cancel487' | 'trying100' | 'mergedRequests' | 'uriSchemes'> & {
  readonly context: TransactionContext;
  readonly stats: TransactionStats;
  /** The bound on live and waiting server transactions (checked by the layer). */
  readonly maxServers: number;
};

/**
 * The server transactions of one layer. It is also each transaction handle's owner (one object,
 * no closures): a handle tells it when its transaction ends or only waits.
 */
export class ServerSide implements ServerHandleOwner {
  readonly logger: Logger;
  readonly #options: ServerSideOptions;
  readonly #context: TransactionContext;
  /** Live server transactions by key; a request's key is hashed once for this and `#waiting`. */
  readonly #servers = new KeyIndex<ServerHandle>();
  /** Server transactions that only wait (Timers J, I, L): compact entries, not machines. */
  readonly #waiting: WaitingTable;
  readonly #merged = new MergedRequests();
  readonly #detectMerged: boolean;
  readonly #uriSchemes: readonly string[] | 'any';
  readonly #cancel487: boolean;
  /** Keys of requests the layer answered itself, kept 64·T1 after their transaction (Timer J's UDP value), at most 10,000. */
  readonly #answered: AnsweredByLayer;
  readonly #overloadSendFailed: (e: unknown) => void;
  #stopped = false;
  /** The server transaction whose request onServerTransaction has now (see serverTransactionOf). */
  #dispatching: ServerHandle | undefined = undefined;

  constructor(options: ServerSideOptions) {
    this.#options = options;
    const context = options.context;
    this.#context = context;
    this.logger = context.logger;
    this.#detectMerged = options.mergedRequests ?? true;
    this.#uriSchemes = options.uriSchemes ?? DEFAULT_URI_SCHEMES;
    this.#cancel487 = options.cancel487 ?? true;
    this.#answered = new AnsweredByLayer({ ttl: 64 * context.timers.T1, max: 10_000, now: () => context.clock.now() });
    this.#overloadSendFailed = logSendFailure(this.logger, 'a 503 (server transactions at their bound)');
    const merged = this.#merged;
    const answered = this.#answered;
    this.#waiting = new WaitingTable({
      clock: context.clock,
      onExpired(entry) {
        if (entry.merge !== undefined) merged.forget(entry.merge);
        if (entry.answeredByLayer) answered.remember(entry.key);
      },
    });
  }

  /** Server transactions, live or waiting. */
  get size(): number {
    return this.#servers.size + this.#waiting.size;
  }

  // ---- what a handle tells its owner ----------------------------------------------------------

  forget(handle: ServerHandle): void {
    // A handle handed to the waiting table is no longer in `servers`: the entry forgets for it.
    if (!this.#servers.remove(handle)) return;
    handle.live = false;
    if (handle.merge !== undefined) this.#merged.forget(handle.merge);
    if (handle.answeredByLayer) this.#answered.remember(handle.key);
  }

  absorb(handle: ServerHandle, response: SipResponse): void {
    this.#absorbed(response, handle.request.method);
  }

  wait(handle: ServerHandle, handOff: WaitingHandOff): boolean {
    if (this.#stopped || !this.#servers.remove(handle)) return false;
    handle.live = false;
    this.#waiting.add(handle.key, handOff, handle, handle.hash);
    return true;
  }

  // ---- requests in ------------------------------------------------------------------------------

  /** A request from the transport: matched to a transaction (§17.2.3), or a new one for the user. */
  receiveRequest(request: SipRequest, remote: Remote): void {
    if (this.#stopped) return;
    // The transport's receive pipeline checked the mandatory headers (and answered 400) already.
    if (request.method === 'ACK') {
      this.#receiveAck(request, remote);
      return;
    }
    const key = serverKey(request) as string; // Via and CSeq are there (checked by the transport's pipeline)
    const hash = keyHash(key);
    const existing = this.#servers.get(key, hash);
    if (existing !== undefined) {
      existing.receiveRequest(request, remote);
      return;
    }
    const entry = this.#waiting.get(key, hash);
    if (entry !== undefined) {
      this.#receiveWaiting(entry);
      return;
    }
    // Every path below creates a server transaction (a CANCEL's, a 482's, a 416's too).
    if (this.size >= this.#options.maxServers) {
      this.#refuseOverloaded(request, remote);
      return;
    }
    if (request.method === 'CANCEL') {
      this.#receiveCancel(request, key, remote);
      return;
    }
    const merge = this.#detectMerged ? mergeKey(request) : undefined;
    if (merge !== undefined && this.#merged.isMerged(merge)) {
      this.logger.debug('merged request: 482', { callId: request.headers['call-id'] });
      this.#answerInTransaction(request, key, remote, 482);
      return;
    }
    if (!isSchemeHandled(request, this.#uriSchemes)) {
      this.#options.stats.unsupportedUriSchemes++;
      this.logger.debug('unsupported Request-URI scheme: 416', { scheme: uriSchemeOf(request), method: request.method });
      this.#answerInTransaction(request, key, remote, 416);
      return;
    }
    this.#dispatch(request, key, remote, merge, hash);
  }

  /**
   * Hands a new request to the user. The machine's first timer waits for the TU: most answer
   * inside the callback, and then none is armed (the non-INVITE give-up guard, the INVITE's 100
   * Trying delay).
   */
  #dispatch(request: SipRequest, key: string, remote: Remote, merge: string | undefined, hash: number): void {
    const st = this.#createServer(request, key, remote, merge, hash, true);
    const outer = this.#dispatching;
    this.#dispatching = st;
    try {
      this.#options.onServerTransaction(request, st, remote);
    } catch (e) {
      this.logger.error('onServerTransaction threw: answering 500', { method: request.method, error: e });
      if (!st.finalSent && st.state !== 'terminated') {
        st.respond(makeResponse(request, 500, undefined, { toTag: st.toTag ?? generateTag() })).catch(logSendFailure(this.logger, 'a 500'));
      }
    }
    this.#dispatching = outer;
    st.inner.begin?.();
  }

  /** A request matched a waiting transaction: answered from the bytes it sent, or absorbed (§17.2.1, §17.2.2). */
  #receiveWaiting(entry: WaitingEntry): void {
    if (entry.bytes === undefined) return;
    resendResponseBytes(this.#context.transport, entry.bytes, logSendFailure(this.logger, 'a retransmitted response'));
  }

  /** A response to a request the layer answered itself is not sent: one answer per request (§9.2). */
  #absorbed(response: SipResponse, method: string): void {
    this.#options.stats.absorbedResponses++;
    this.logger.debug('absorbed a response to a request the stack had answered', { status: response.status, method, callId: response.headers['call-id'] });
  }

  /**
   * RFC 3261 §21.5.4: the server transactions are at their bound: a 503 with Retry-After, sent
   * statelessly (§18.2.2), and nothing kept, so a flood of new requests costs no memory. Its
   * retransmissions are answered the same way.
   */
  #refuseOverloaded(request: SipRequest, remote: Remote): void {
    this.#options.stats.overloadedRequests++;
    this.logger.debug('server transactions at their bound: 503', { max: this.#options.maxServers, method: request.method, callId: request.headers['call-id'] });
    const rs = makeResponse(request, 503, undefined, { toTag: generateTag(), headers: { 'retry-after': OVERLOAD_RETRY_AFTER } });
    this.sendStateless(rs, remote).catch(this.#overloadSendFailed);
  }

  /**
   * A new server transaction for `request`, in the table under `key` (hashed as `hash`). With
   * `startLater`, its machine arms no timer until the caller calls `begin()` on it, once the TU
   * has had the request: see {@link ServerTransaction.begin}.
   */
  #createServer(request: SipRequest, key: string, remote: Remote, merge?: string, hash = keyHash(key), startLater = false): ServerHandle {
    const handle = new ServerHandle(this, key, hash, this.#merged.remember(merge));
    const base = { context: this.#context, reliable: isReliable(remote.protocol), startLater };
    const trying100 = this.#options.trying100;
    if (request.method === 'INVITE') {
      handle.inner = createInviteServerTransaction(request, remote, trying100 === undefined ? base : { ...base, trying100 }, handle);
    } else {
      handle.inner = createNonInviteServerTransaction(request, remote, base, handle);
    }
    this.#servers.add(handle);
    return handle;
  }

  /** Answers `request` with `status` inside a new server transaction (so retransmissions are absorbed). */
  #answerInTransaction(request: SipRequest, key: string, remote: Remote, status: number): void {
    const st = this.#createServer(request, key, remote);
    st.answerAsLayer(makeResponse(request, status, undefined, { toTag: generateTag() })).catch(logSendFailure(this.logger, `a ${String(status)}`));
  }

  #deliverAck(ack: SipRequest, remote: Remote): void {
    const onAck = this.#options.onAck;
    if (onAck === undefined) {
      this.logger.debug('dropped an ACK that matches no transaction', { callId: ack.headers['call-id'] });
      return;
    }
    safely(this.logger, 'onAck', () => {
      onAck(ack, remote);
    });
  }

  #receiveAck(ack: SipRequest, remote: Remote): void {
    for (const key of ackKeys(ack)) {
      const hash = keyHash(key);
      const st = this.#servers.get(key, hash);
      if (st === undefined) {
        const entry = this.#waiting.get(key, hash);
        if (entry === undefined) continue;
        // Accepted: the ACK of the 2xx is the TU's (RFC 6026 §7.1). Confirmed absorbs ACKs.
        if (entry.what === 'accepted') break;
        return;
      }
      // In Accepted the INVITE got a 2xx: its ACK is the TU's even when it reuses the branch.
      if (st.state === 'accepted') break;
      st.receiveRequest(ack, remote);
      return;
    }
    this.#deliverAck(ack, remote);
  }

  /** RFC 3261 §9.2: 200 and 487 when the INVITE is found, else 481. */
  #receiveCancel(cancel: SipRequest, key: string, remote: Remote): void {
    const inviteKey = serverKey(cancel, 'INVITE');
    const invite = inviteKey === undefined ? undefined : this.#servers.get(inviteKey);
    const waitingInvite = invite === undefined && inviteKey !== undefined ? this.#waiting.get(inviteKey) : undefined;
    if (waitingInvite !== undefined) {
      // §9.2: the INVITE has its final response: the CANCEL has no effect but is answered 200.
      const st = this.#createServer(cancel, key, remote);
      st.answerAsLayer(makeResponse(cancel, 200, undefined, { toTag: waitingInvite.toTag ?? generateTag() })).catch(logSendFailure(this.logger, 'a 200 to a CANCEL'));
      return;
    }
    if (invite === undefined) {
      this.#answerInTransaction(cancel, key, remote, 481);
      return;
    }
    // §9.2: the 200 to the CANCEL and the 487 to the INVITE carry the same To tag.
    const tag = invite.toTag ?? generateTag();
    const st = this.#createServer(cancel, key, remote);
    st.answerAsLayer(makeResponse(cancel, 200, undefined, { toTag: tag })).catch(logSendFailure(this.logger, 'a 200 to a CANCEL'));
    if (invite.cancelled) return;
    invite.cancelled = true;
    if (this.#cancel487 && !invite.finalSent && invite.state === 'proceeding') {
      const rs = makeResponse(invite.request, 487, undefined, { toTag: tag });
      invite.answerAsLayer(rs).catch(logSendFailure(this.logger, 'a 487'));
    }
    const onCancel = invite.onCancel;
    if (onCancel !== undefined) {
      safely(this.logger, 'onCancel', () => {
        onCancel(cancel, remote);
      });
    }
  }

  // ---- responses out ----------------------------------------------------------------------------

  /** See {@link TransactionLayer.respond}. Not async: a response that went out at once costs no Promise of its own here. */
  respond(response: SipResponse): Promise<void> {
    let key: string | undefined;
    try {
      key = responseServerKey(response);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new SipError('invalid-argument', 'cannot match the response', { cause: e }));
    }
    const st = key === undefined ? undefined : this.#servers.get(key);
    if (st !== undefined) return st.respond(response);
    const entry = key === undefined ? undefined : this.#waiting.get(key);
    if (entry !== undefined) return this.#respondWaiting(entry, response);
    if (key !== undefined && this.#answered.has(key)) {
      this.#absorbed(response, response.headers.cseq?.method ?? '');
      return SENT;
    }
    return this.sendStateless(response, undefined);
  }

  /** The user answers a request whose transaction waits: what its machine would have done. */
  async #respondWaiting(entry: WaitingEntry, response: SipResponse): Promise<void> {
    if (entry.answeredByLayer) {
      this.#absorbed(response, response.headers.cseq?.method ?? '');
      return;
    }
    const status = response.status;
    // RFC 6026 §7.1: in Accepted the TU's 2xx retransmissions are sent.
    if (entry.what === 'accepted' && status >= 200 && status < 300) {
      await this.sendStateless(response, entry.remote);
      return;
    }
    throw new SipError('invalid-state', `cannot send a ${String(status)}: the ${response.headers.cseq?.method ?? ''} server transaction is ${entry.what}`);
  }

  /** A response with no transaction (§18.2.2). */
  sendStateless(response: SipResponse, remote: Remote | undefined): Promise<void> {
    const transport = this.#context.transport;
    let prepared: PreparedResponse;
    try {
      prepared = transport.prepareResponse(response, remote);
    } catch (e) {
      return Promise.reject(asSendError(e, `cannot send a ${String(response.status)} response`));
    }
    return sendAwaitable((l) => transport.sendResponse(prepared, l));
  }

  /** See {@link TransactionLayer.serverTransactionOf}. */
  serverTransactionOf(message: SipMessage): ServerTransactionHandle | undefined {
    // Most TUs answer inside onServerTransaction: the transaction being dispatched is found
    // without building and hashing a key when the response's top Via and CSeq are its own.
    const current = this.#dispatching;
    if (current !== undefined && current.live && answersRequest(message, current.request)) return current;
    // The key reads only the top Via and the CSeq, which a response copies from its request.
    const key = responseServerKey(message as SipResponse);
    return key === undefined ? undefined : this.#servers.get(key);
  }

  /** No new transaction and no hand-over to the waiting table from now on (the layer is stopping). */
  halt(): void {
    this.#stopped = true;
  }

  /** Terminates every server transaction silently and forgets every table. */
  stop(): void {
    this.#stopped = true;
    for (const st of this.#servers.values()) st.terminate();
    this.#servers.clear();
    this.#waiting.clear();
    this.#merged.clear();
    this.#answered.clear();
  }
}
