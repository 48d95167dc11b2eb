/**
 * The transaction layer of one stack instance (RFC 3261 §17): the transaction tables, matching of
 * requests and responses to transactions, CANCEL (§9.2), merged requests (§8.2.2.2), failover across targets (RFC 3263 §4.3) and stateless responses (§18).
 * Neutral: it sends through any {@link TransportPort} and times with an injected {@link Clock}.
 * @see RFC 3261 §17, §9, §8.2.2, §18; RFC 3263 §4.3; RFC 6026
 */
import { makeResponse, SipError, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import {
  asSendError,
  generateBranch,
  generateTag,
  hasMagicCookie,
  isReliable,
  safely,
  sendAwaitable,
  silentLogger,
  type Logger,
  type PreparedResponse,
  type Remote,
  type Target,
  type TransportHandlers,
  type TransportPort,
} from '@sipts/transport';
import { DEFAULT_TIMERS, type Clock, type TimerValues } from './clock.js';
import { createInviteServerTransaction } from './invite-server.js';
import { AnsweredByLayer } from './answered-by-layer.js';
import { ackKeys, clientKey, mergeKey, responseServerKey, serverKey } from './matching.js';
import { MergedRequests } from './merged-requests.js';
import { createNonInviteServerTransaction } from './non-invite-server.js';
import { OutgoingRequestImpl, type ClientTable, type OutgoingRequest, type RequestUser } from './outgoing-request.js';
import { ServerHandle, type ServerHandleOwner, type ServerTransactionHandle } from './server-handle.js';
import { createDefaultClock } from './timer-heap.js';
import { resendResponseBytes } from './transaction-base.js';
import type { ClientTransaction, TransactionContext } from './types.js';
import { KeyIndex, KeyMap, SlotSet, keyHash } from './key-index.js';
import { WaitingTable, type WaitingEntry } from './waiting.js';
import { DEFAULT_URI_SCHEMES, isSchemeHandled, uriSchemeOf } from './uri-scheme.js';

/** Options of {@link createTransactionLayer}. */
export interface TransactionLayerOptions {
  /** Where messages are sent (a transport layer, or a test loopback). */
  transport: TransportPort;
  /** Default: `createDefaultClock()`. */
  clock?: Clock;
  /** T1, T2, T4 for this instance; default RFC 3261's 500 ms, 4 s, 5 s. */
  timers?: Partial<TimerValues>;
  logger?: Logger;
  /**
   * A new request (not a retransmission, not an ACK, not a CANCEL): answer through `st`. If this
   * throws before a final response was sent, the layer answers 500 and logs the error.
   */
  onServerTransaction(request: SipRequest, st: ServerTransactionHandle, remote: Remote): void;
  /** A response that matches no client transaction (a proxy forwards 2xx retransmissions, §16.7). */
  onStrayResponse?: (response: SipResponse, remote: Remote) => void;
  /** An ACK that matches no transaction: the ACK for a 2xx (§13.3.1.4, §17.2.3). */
  onAck?: (ack: SipRequest, remote: Remote) => void;
  /** Answer 487 to a cancelled INVITE that has no final response yet (§9.2). Default true. */
  cancel487?: boolean;
  /** Send 100 Trying for INVITEs the user has not answered within 200 ms (§17.2.1). Default: the INVITE server transaction's default. */
  trying100?: boolean;
  /**
   * Answer merged requests 482 (§8.2.2.2: a UAS rule). Default true; a proxy turns it off, since
   * a request spiralling back through it legitimately repeats From tag, Call-ID and CSeq (§16.3).
   */
  mergedRequests?: boolean;
  /**
   * Request-URI schemes the user handles; a request with another scheme is answered 416
   * Unsupported URI Scheme before `onServerTransaction` (RFC 3261 §8.2.2.1, §16.3). Default
   * `['sip', 'sips', 'tel']`; `'any'` lets every scheme through (a proxy with its own rules).
   */
  uriSchemes?: readonly string[] | 'any';
  /**
   * The most server transactions, live and waiting (Timers J, I, L), the layer keeps; every one is
   * created by a peer's request, so this is the bound on what a peer can make the layer hold. A new
   * request that would exceed it gets a stateless 503 Service Unavailable with `Retry-After: 5`
   * and no transaction (RFC 3261 §21.5.4, §20.33; an ACK is never answered), counted in
   * `stats.overloadedRequests`. Retransmissions of requests that have a transaction are matched
   * as before. A CANCEL over the bound gets the 503 too, even when its INVITE is there: answering
   * it needs a transaction, which outlives its INVITE by up to 64·T1, so a peer that cancels
   * and ACKs at once would hold several per INVITE if CANCELs were let past. The INVITE goes on
   * until it is answered; the UAC may send the CANCEL again after `Retry-After`.
   *
   * Default 1,000,000: above what one stack instance holds from traffic it keeps up with (one
   * core answers 15,000 to 27,000 OPTIONS/s in `bench/`, each kept 64·T1 = 32 s over UDP: 0.5 to
   * 0.9 million), yet 0.5 to 0.65 GB of waiting entries (0.27 to 0.4 KB of heap and ~0.25 KB of
   * response bytes each), within Node's default heap; a flood of 100,000 new requests/s would
   * hold 3 million before the first expired. A live transaction also keeps its request, so a TU
   * that leaves many unanswered (a proxy under Timer C) may want less. `Infinity` turns it off.
   * @see RFC 3261 §21.5.4, §20.33, §17.2.2
   */
  maxServerTransactions?: number;
}

/** Counters of a transaction layer; read them for metrics. */
export interface TransactionStats {
  /**
   * Responses the user sent to a request the layer had answered itself (a CANCEL's 200, a
   * cancelled INVITE's 487, RFC 3261 §9.2): not sent, so the peer gets one answer.
   */
  absorbedResponses: number;
  /** Requests answered 416 for their Request-URI scheme (RFC 3261 §8.2.2.1). */
  unsupportedUriSchemes: number;
  /**
   * New requests (a retransmission of one counts again) answered 503 with no transaction because
   * the server transactions were at `maxServerTransactions` (RFC 3261 §21.5.4).
   */
  overloadedRequests: number;
}

/** The transaction layer: give `handlers` to the transport, send through it, stop it. */
export interface TransactionLayer {
  /** What the transport below calls with every message it receives. */
  readonly handlers: TransportHandlers;
  /** The context transactions of this layer are created with. */
  readonly context: TransactionContext;
  /**
   * Sends a request through client transactions (§17.1), trying `targets` in order: a transport
   * error, a 503 or a timeout from one target (before a provisional other than 100 arrived) makes
   * the next target get a new transaction with a new branch (RFC 3263 §4.3). A request with no Via
   * gets a new top Via with a fresh branch (the transport fills in the rest); a top Via without a
   * branch gets one. The request object is the caller's and is changed in place (Via stamping).
   * @throws SipError `invalid-argument` for an ACK (use {@link TransactionLayer.sendAck}) or no targets; `invalid-state` after stop()
   * @example layer.sendRequest(options, targets, { onResponse: (rs) => log(rs.status) })
   * @see RFC 3261 §17.1, §8.1.3.1; RFC 3263 §4.3
   */
  sendRequest(request: SipRequest, targets: readonly Target[], user: RequestUser): OutgoingRequest;
  /**
   * Sends an ACK for a 2xx, which has no transaction (§13.2.2.4, §17.1.1.3), adding a top Via with
   * a fresh branch when there is none.
   * @throws SipError (rejection, status 503) when the transport cannot send it
   */
  sendAck(ack: SipRequest, target: Target): Promise<void>;
  /**
   * Sends a response with no transaction (§18.2.2): a proxy's 2xx retransmission, a response
   * after the transaction ended.
   * @throws SipError (rejection, status 503) when the transport cannot send it
   */
  sendStateless(response: SipResponse, remote?: Remote): Promise<void>;
  /**
   * Sends a response through the live server transaction of its request (matched by its top Via
   * branch, sent-by and CSeq method, §17.2.3), or statelessly (§18.2.2) when there is none (the
   * classic `send(response)`, which dropped it instead). A response to a request the layer
   * answered itself (a CANCEL, a cancelled INVITE, §9.2) is absorbed instead, while the
   * transaction lives and 64·T1 after (counted in `stats.absorbedResponses`).
   * @throws SipError (rejection) when the transport cannot send it, or the transaction refuses it (a final after a final)
   */
  respond(response: SipResponse): Promise<void>;
  /**
   * The live server transaction a response (or its request) belongs to, matched as
   * {@link TransactionLayer.respond} matches it (§17.2.3); undefined for none, for one that only
   * waits to absorb retransmissions, and for RFC 2543 requests (no magic cookie).
   */
  serverTransactionOf(message: SipMessage): ServerTransactionHandle | undefined;
  /** Transactions, client and server, live or waiting (CANCEL transactions included). */
  readonly size: number;
  /** Counters (absorbed responses, 416s, 503s over `maxServerTransactions`). */
  readonly stats: TransactionStats;
  /** Terminates every transaction silently (their users' onTerminated still run) and clears every timer. Idempotent. */
  stop(): void;
}

/** Shared by every `respond` that needs no Promise of its own. */
const SENT: Promise<void> = Promise.resolve();

/** Default of {@link TransactionLayerOptions.maxServerTransactions} (its TSDoc says why). */
const DEFAULT_MAX_SERVER_TRANSACTIONS = 1_000_000;

/** Seconds in the Retry-After of a 503 over the bound: waiting entries end in the order they came, so room frees up steadily (RFC 3261 §20.33). */
const OVERLOAD_RETRY_AFTER = '5';

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

/** RFC 3261 §8.1.1.7: a request the layer sends has a top Via with a branch. */
function ensureBranch(request: SipRequest, protocol: Target['protocol']): void {
  const via = request.headers.via;
  if (via === undefined || via.length === 0) {
    request.headers.via = [{ version: '2.0', protocol, host: '', port: undefined, params: { branch: generateBranch() } }];
    return;
  }
  const top = via[0];
  if (top !== undefined && (typeof top.params.branch !== 'string' || top.params.branch === '')) top.params.branch = generateBranch();
}

/**
 * Creates the transaction layer of one stack instance.
 * @throws SipError `invalid-argument` when `maxServerTransactions` is not a whole number ≥ 0 or `Infinity`
 * @example
 * const layer = createTransactionLayer({ transport, clock, onServerTransaction: (rq, st) => void st.respond(makeResponse(rq, 200)) });
 * const transport = createTransportLayer(options, layer.handlers);
 * @see RFC 3261 §17
 */
export function createTransactionLayer(options: TransactionLayerOptions): TransactionLayer {
  const logger = options.logger ?? silentLogger;
  const context: TransactionContext = { transport: options.transport, clock: options.clock ?? createDefaultClock(), timers: { ...DEFAULT_TIMERS, ...options.timers }, logger };
  const cancel487 = options.cancel487 ?? true;
  const trying100 = options.trying100;
  // Live server transactions by key; a request's key is hashed once for this and `waiting`.
  const servers = new KeyIndex<ServerHandle>();
  // Live client transactions by key, and every outgoing request until it finishes. Not a `Map`
  // and a `Set`: their churn kept finished transactions alive through young collections (key-index.ts).
  const clients = new KeyMap<ClientTransaction>();
  const outgoing = new SlotSet<OutgoingRequestImpl>();
  const merged = new MergedRequests();
  const detectMerged = options.mergedRequests ?? true;
  const uriSchemes = options.uriSchemes ?? DEFAULT_URI_SCHEMES;
  const stats: TransactionStats = { absorbedResponses: 0, unsupportedUriSchemes: 0, overloadedRequests: 0 };
  const maxServers = options.maxServerTransactions ?? DEFAULT_MAX_SERVER_TRANSACTIONS;
  // NaN would turn the bound off without a word: refused, as are negatives and fractions.
  if (!(maxServers >= 0) || (maxServers !== Infinity && !Number.isInteger(maxServers))) {
    throw new SipError('invalid-argument', `maxServerTransactions must be a whole number ≥ 0 or Infinity, not ${String(maxServers)}`);
  }
  // A key is kept 64·T1 after its transaction ended (Timer J's UDP value), at most 10,000 keys.
  const answered = new AnsweredByLayer({ ttl: 64 * context.timers.T1, max: 10_000, now: () => context.clock.now() });
  let stopped = false;
  /** The server transaction whose request onServerTransaction has now (see serverTransactionOf). */
  let dispatching: ServerHandle | undefined;
  // Server transactions that only wait (Timers J, I, L): compact entries, not machines.
  const waiting = new WaitingTable({
    clock: context.clock,
    onExpired(entry) {
      if (entry.merge !== undefined) merged.forget(entry.merge);
      if (entry.answeredByLayer) answered.remember(entry.key);
    },
  });

  // Client transactions that only wait (Completed under Timer K, Accepted under M): a key and a
  // deadline each, and for Accepted the request's user, which further 2xx go to (RFC 6026 §7.2).
  const acceptedUsers = new KeyMap<RequestUser>();
  const waitingClients = new WaitingTable({
    clock: context.clock,
    onExpired(entry) {
      endAccepted(entry.key, entry.hash);
    },
  });

  /** An INVITE handed over in Accepted ended (Timer M, a reused key, stop): its user is told. */
  function endAccepted(key: string, hash: number = keyHash(key)): void {
    const user = acceptedUsers.get(key, hash);
    if (user === undefined) return;
    acceptedUsers.delete(key, hash);
    if (user.onTerminated !== undefined) safely(logger, "the request user's onTerminated", () => user.onTerminated?.());
  }

  const table: ClientTable = {
    context,
    // Each hashes the key once for every table it looks in.
    add(key, tx) {
      const hash = keyHash(key);
      if (waitingClients.delete(key, hash)) endAccepted(key, hash);
      const existing = clients.get(key, hash);
      if (existing !== undefined && existing !== tx) logger.warn('two client transactions with one key: the newer wins', { key });
      clients.set(key, tx, hash);
    },
    remove(key, tx) {
      const hash = keyHash(key);
      if (clients.get(key, hash) === tx) clients.delete(key, hash);
    },
    wait(key, tx, ms, user) {
      if (stopped) return false;
      const hash = keyHash(key);
      if (clients.get(key, hash) !== tx) return false;
      clients.delete(key, hash);
      waitingClients.addClient(key, ms, hash);
      if (user !== undefined) acceptedUsers.set(key, user, hash);
      return true;
    },
    finished(request) {
      outgoing.delete(request);
    },
  };

  function logSendFailure(what: string): (e: unknown) => void {
    return (e) => {
      logger.info(`could not send ${what}`, { error: e });
    };
  }

  // ---- server side -----------------------------------------------------------------------------

  const owner: ServerHandleOwner = {
    logger,
    forget(handle) {
      // A handle handed to the waiting table is no longer in `servers`: the entry forgets for it.
      if (!servers.remove(handle)) return;
      handle.live = false;
      if (handle.merge !== undefined) merged.forget(handle.merge);
      if (handle.answeredByLayer) answered.remember(handle.key);
    },
    absorb(handle, response) {
      absorbed(response, handle.request.method);
    },
    wait(handle, handOff) {
      if (stopped || !servers.remove(handle)) return false;
      handle.live = false;
      waiting.add(handle.key, handOff, handle, handle.hash);
      return true;
    },
  };

  /** A request matched a waiting transaction: answered from the bytes it sent, or absorbed (§17.2.1, §17.2.2). */
  function receiveWaiting(entry: WaitingEntry): void {
    if (entry.bytes === undefined) return;
    resendResponseBytes(context.transport, entry.bytes, logSendFailure('a retransmitted response'));
  }

  /** A response to a request the layer answered itself is not sent: one answer per request (§9.2). */
  function absorbed(response: SipResponse, method: string): void {
    stats.absorbedResponses++;
    logger.debug('absorbed a response to a request the stack had answered', { status: response.status, method, callId: response.headers['call-id'] });
  }

  const overloadSendFailed = logSendFailure('a 503 (server transactions at their bound)');

  /**
   * RFC 3261 §21.5.4: the server transactions are at `maxServerTransactions`: a 503 with
   * Retry-After, sent statelessly (§18.2.2), and nothing kept, so a flood of new requests costs
   * no memory. Its retransmissions are answered the same way.
   */
  function refuseOverloaded(request: SipRequest, remote: Remote): void {
    stats.overloadedRequests++;
    logger.debug('server transactions at their bound: 503', { max: maxServers, method: request.method, callId: request.headers['call-id'] });
    const rs = makeResponse(request, 503, undefined, { toTag: generateTag(), headers: { 'retry-after': OVERLOAD_RETRY_AFTER } });
    sendStateless(rs, remote).catch(overloadSendFailed);
  }

  /**
   * A new server transaction for `request`, in the table under `key` (hashed as `hash`). With
   * `startLater`, its machine arms no timer until the caller calls `begin()` on it, once the TU
   * has had the request: see {@link ServerTransaction.begin}.
   */
  function createServer(request: SipRequest, key: string, remote: Remote, merge?: string, hash = keyHash(key), startLater = false): ServerHandle {
    const handle = new ServerHandle(owner, key, hash, merged.remember(merge));
    const base = { context, reliable: isReliable(remote.protocol), startLater };
    if (request.method === 'INVITE') {
      handle.inner = createInviteServerTransaction(request, remote, trying100 === undefined ? base : { ...base, trying100 }, handle);
    } else {
      handle.inner = createNonInviteServerTransaction(request, remote, base, handle);
    }
    servers.add(handle);
    return handle;
  }

  /** Answers `request` with `status` inside a new server transaction (so retransmissions are absorbed). */
  function answerInTransaction(request: SipRequest, key: string, remote: Remote, status: number): void {
    const st = createServer(request, key, remote);
    st.answerAsLayer(makeResponse(request, status, undefined, { toTag: generateTag() })).catch(logSendFailure(`a ${String(status)}`));
  }

  function deliverAck(ack: SipRequest, remote: Remote): void {
    const onAck = options.onAck;
    if (onAck === undefined) {
      logger.debug('dropped an ACK that matches no transaction', { callId: ack.headers['call-id'] });
      return;
    }
    safely(logger, 'onAck', () => {
      onAck(ack, remote);
    });
  }

  function receiveAck(ack: SipRequest, remote: Remote): void {
    for (const key of ackKeys(ack)) {
      const hash = keyHash(key);
      const st = servers.get(key, hash);
      if (st === undefined) {
        const entry = waiting.get(key, hash);
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
    deliverAck(ack, remote);
  }

  /** RFC 3261 §9.2: 200 and 487 when the INVITE is found, else 481. */
  function receiveCancel(cancel: SipRequest, key: string, remote: Remote): void {
    const inviteKey = serverKey(cancel, 'INVITE');
    const invite = inviteKey === undefined ? undefined : servers.get(inviteKey);
    const waitingInvite = invite === undefined && inviteKey !== undefined ? waiting.get(inviteKey) : undefined;
    if (waitingInvite !== undefined) {
      // §9.2: the INVITE has its final response: the CANCEL has no effect but is answered 200.
      const st = createServer(cancel, key, remote);
      st.answerAsLayer(makeResponse(cancel, 200, undefined, { toTag: waitingInvite.toTag ?? generateTag() })).catch(logSendFailure('a 200 to a CANCEL'));
      return;
    }
    if (invite === undefined) {
      answerInTransaction(cancel, key, remote, 481);
      return;
    }
    // §9.2: the 200 to the CANCEL and the 487 to the INVITE carry the same To tag.
    const tag = invite.toTag ?? generateTag();
    const st = createServer(cancel, key, remote);
    st.answerAsLayer(makeResponse(cancel, 200, undefined, { toTag: tag })).catch(logSendFailure('a 200 to a CANCEL'));
    if (invite.cancelled) return;
    invite.cancelled = true;
    if (cancel487 && !invite.finalSent && invite.state === 'proceeding') {
      const rs = makeResponse(invite.request, 487, undefined, { toTag: tag });
      invite.answerAsLayer(rs).catch(logSendFailure('a 487'));
    }
    const onCancel = invite.onCancel;
    if (onCancel !== undefined) {
      safely(logger, 'onCancel', () => {
        onCancel(cancel, remote);
      });
    }
  }

  function receiveRequest(request: SipRequest, remote: Remote): void {
    if (stopped) return;
    // The transport's receive pipeline checked the mandatory headers (and answered 400) already.
    if (request.method === 'ACK') {
      receiveAck(request, remote);
      return;
    }
    const key = serverKey(request) as string; // Via and CSeq are there (checked by the transport's pipeline)
    const hash = keyHash(key);
    const existing = servers.get(key, hash);
    if (existing !== undefined) {
      existing.receiveRequest(request, remote);
      return;
    }
    const entry = waiting.get(key, hash);
    if (entry !== undefined) {
      receiveWaiting(entry);
      return;
    }
    // Every path below creates a server transaction (a CANCEL's, a 482's, a 416's too).
    if (servers.size + waiting.size >= maxServers) {
      refuseOverloaded(request, remote);
      return;
    }
    if (request.method === 'CANCEL') {
      receiveCancel(request, key, remote);
      return;
    }
    const merge = detectMerged ? mergeKey(request) : undefined;
    if (merge !== undefined && merged.isMerged(merge)) {
      logger.debug('merged request: 482', { callId: request.headers['call-id'] });
      answerInTransaction(request, key, remote, 482);
      return;
    }
    if (!isSchemeHandled(request, uriSchemes)) {
      stats.unsupportedUriSchemes++;
      logger.debug('unsupported Request-URI scheme: 416', { scheme: uriSchemeOf(request), method: request.method });
      answerInTransaction(request, key, remote, 416);
      return;
    }
    // The machine's first timer waits for the TU: most answer inside the callback, and then
    // none is armed (the non-INVITE give-up guard, the INVITE's 100 Trying delay).
    const st = createServer(request, key, remote, merge, hash, true);
    const outer = dispatching;
    dispatching = st;
    try {
      options.onServerTransaction(request, st, remote);
    } catch (e) {
      logger.error('onServerTransaction threw: answering 500', { method: request.method, error: e });
      if (!st.finalSent && st.state !== 'terminated') {
        st.respond(makeResponse(request, 500, undefined, { toTag: st.toTag ?? generateTag() })).catch(logSendFailure('a 500'));
      }
    }
    dispatching = outer;
    st.inner.begin?.();
  }

  /** The user answers a request whose transaction waits: what its machine would have done. */
  async function respondWaiting(entry: WaitingEntry, response: SipResponse): Promise<void> {
    if (entry.answeredByLayer) {
      absorbed(response, response.headers.cseq?.method ?? '');
      return;
    }
    const status = response.status;
    // RFC 6026 §7.1: in Accepted the TU's 2xx retransmissions are sent.
    if (entry.what === 'accepted' && status >= 200 && status < 300) {
      await sendStateless(response, entry.remote);
      return;
    }
    throw new SipError('invalid-state', `cannot send a ${String(status)}: the ${response.headers.cseq?.method ?? ''} server transaction is ${entry.what}`);
  }

  function sendStateless(response: SipResponse, remote: Remote | undefined): Promise<void> {
    let prepared: PreparedResponse;
    try {
      prepared = context.transport.prepareResponse(response, remote);
    } catch (e) {
      return Promise.reject(asSendError(e, `cannot send a ${String(response.status)} response`));
    }
    return sendAwaitable((l) => context.transport.sendResponse(prepared, l));
  }

  // ---- client side -----------------------------------------------------------------------------

  function receiveResponse(response: SipResponse, remote: Remote): void {
    if (stopped) return;
    const key = clientKey(response);
    const hash = key === undefined ? 0 : keyHash(key);
    const tx = key === undefined ? undefined : clients.get(key, hash);
    if (tx !== undefined) {
      tx.receiveResponse(response, remote);
      return;
    }
    if (key !== undefined && waitingClients.get(key, hash) !== undefined) {
      // RFC 6026 §7.2: a further 2xx of an INVITE in Accepted goes to the request's user; the
      // rest, and a retransmitted final of a non-INVITE in Completed (§17.1.2.2), is absorbed.
      const user = acceptedUsers.get(key, hash);
      if (user !== undefined && response.status >= 200 && response.status < 300) {
        safely(logger, "the request user's onResponse", () => {
          user.onResponse(response, remote);
        });
      }
      return;
    }
    const onStray = options.onStrayResponse;
    if (onStray === undefined) {
      logger.debug('dropped a response that matches no transaction', { status: response.status, callId: response.headers['call-id'] });
      return;
    }
    safely(logger, 'onStrayResponse', () => {
      onStray(response, remote);
    });
  }

  // Per message: safely()'s contract written inline, so no closure is made for each one.
  const handlers: TransportHandlers = {
    onRequest(request, remote) {
      try {
        receiveRequest(request, remote);
      } catch (e) {
        logger.error('the transaction layer (request) threw', { error: e });
      }
    },
    onResponse(response, remote) {
      try {
        receiveResponse(response, remote);
      } catch (e) {
        logger.error('the transaction layer (response) threw', { error: e });
      }
    },
  };

  return {
    handlers,
    context,
    sendRequest(request, targets, user) {
      if (stopped) throw new SipError('invalid-state', 'the transaction layer is stopped');
      if (request.method === 'ACK') throw new SipError('invalid-argument', 'an ACK has no client transaction: use sendAck');
      const first = targets[0];
      if (first === undefined) throw new SipError('invalid-argument', `no target to send ${request.method} to`);
      ensureBranch(request, first.protocol);
      const out = new OutgoingRequestImpl(table, request, targets, user);
      outgoing.add(out);
      out.start();
      return out;
    },
    sendAck(ack, target) {
      ensureBranch(ack, target.protocol);
      return sendAwaitable((l) => context.transport.sendRequest(ack, target, l));
    },
    sendStateless(response, remote) {
      return sendStateless(response, remote);
    },
    respond(response) {
      // Not async: a response that went out at once costs no Promise of its own here.
      let key: string | undefined;
      try {
        key = responseServerKey(response);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new SipError('invalid-argument', 'cannot match the response', { cause: e }));
      }
      const st = key === undefined ? undefined : servers.get(key);
      if (st !== undefined) return st.respond(response);
      const entry = key === undefined ? undefined : waiting.get(key);
      if (entry !== undefined) return respondWaiting(entry, response);
      if (key !== undefined && answered.has(key)) {
        absorbed(response, response.headers.cseq?.method ?? '');
        return SENT;
      }
      return sendStateless(response, undefined);
    },
    serverTransactionOf(message) {
      // Most TUs answer inside onServerTransaction: the transaction being dispatched is found
      // without building and hashing a key when the response's top Via and CSeq are its own.
      const current = dispatching;
      if (current !== undefined && current.live && answersRequest(message, current.request)) return current;
      // The key reads only the top Via and the CSeq, which a response copies from its request.
      const key = responseServerKey(message as SipResponse);
      return key === undefined ? undefined : servers.get(key);
    },
    get size() {
      return servers.size + waiting.size + clients.size + waitingClients.size;
    },
    stats,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const out of outgoing.values()) out.terminate();
      for (const tx of clients.values()) tx.terminate();
      for (const st of servers.values()) st.terminate();
      outgoing.clear();
      clients.clear();
      servers.clear();
      waiting.clear();
      waitingClients.clear();
      for (const key of acceptedUsers.keys()) endAccepted(key);
      merged.clear();
      answered.clear();
    },
  };
}
