/**
 * A user agent core (RFC 3261 §8, §12–§15) on a transaction layer: outgoing calls, incoming calls
 * as events, the dialog table that routes in-dialog requests, ACKs and late 2xx retransmissions.
 * Neutral: it sends through any TransportPort; `@sipts/dialog/node` binds it to UDP/TCP/TLS/WS.
 * @see RFC 3261 §8.2, §12.2.2, §13
 */
import { makeResponse, parseNameAddr, SipError, type NameAddr, type SipRequest, type SipResponse } from '@sipts/message';
import { createDigestClient, type DigestClientOptions } from '@sipts/digest';
import { createDefaultClock, createTransactionLayer, DEFAULT_TIMERS, type Clock, type ServerTransactionHandle, type TimerValues, type TransactionLayer } from '@sipts/transaction';
import { generateTag, silentLogger, type Logger, type Remote, type Target, type TransportHandlers, type TransportPort } from '@sipts/transport';
import { ALLOW, type DialogUser, type SessionTimerOptions, type UaCore } from './core.js';
import { dialogKey, tagOf, type Dialog } from './dialog.js';
import { Emitter } from './emitter.js';
import { IncomingCall } from './incoming-call.js';
import { invite, type InviteOptions } from './outgoing-call.js';
import { resolveNumeric, sendRequest, type Resolve, type SenderContext } from './sender.js';
import type { Session } from './session.js';

/** Options of {@link createUserAgent}. */
export interface UserAgentOptions {
  /** Where messages go (a transport layer's send functions, or a test loopback). */
  transport: TransportPort;
  /** Our Contact URI (RFC 3261 §8.1.1.8), e.g. `sip:alice@127.0.0.1:5070`; a function is asked each time (a port bound later). */
  contact: string | (() => string);
  /** Our identity for From (default: the Contact URI). */
  from?: string;
  /** Next hop → targets. Default: numeric hosts only ({@link resolveNumeric}); the Node adapter uses DNS (RFC 3263). */
  resolve?: Resolve;
  /** Send every request here (a proxy or registrar the UA is attached to, e.g. over WebSocket). */
  outboundProxy?: Target;
  /** Credentials for 401/407 challenges (RFC 3261 §22.2), on the initial INVITE and inside dialogs. */
  credentials?: DigestClientOptions;
  /** RFC 4028 session timers: on when given. */
  sessionTimer?: SessionTimerOptions;
  clock?: Clock;
  timers?: Partial<TimerValues>;
  logger?: Logger;
  /** The most dialogs at once (a peer cannot grow the table past it: new INVITEs get 486). Default 10,000. */
  maxDialogs?: number;
}

/** Events of a {@link UserAgent}. */
export interface UserAgentEvents extends Record<string, unknown[]> {
  /** A new call. Without a listener it is answered 480 Temporarily Unavailable. */
  invite: [call: IncomingCall];
  /** A request outside any dialog other than INVITE (OPTIONS, MESSAGE…): answer through `st`. Without a listener: OPTIONS 200, the rest 405. */
  request: [request: SipRequest, st: ServerTransactionHandle, remote: Remote];
}

/** Random integer milliseconds in [min, max) in 10 ms steps, from crypto.getRandomValues. */
function randomMs(min: number, max: number): number {
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  const steps = Math.max(1, Math.floor((max - min) / 10));
  return min + ((b[0] ?? 0) % steps) * 10;
}

/**
 * A user agent.
 * @example
 * const ua = createUserAgent({ transport, contact: 'sip:alice@127.0.0.1:5070' });
 * ua.on('invite', (call) => void call.accept({ body: answer }));
 * const session = await ua.invite({ to: 'sip:bob@127.0.0.1:5080', body: offer });
 * @see RFC 3261 §8, §12–§15
 */
export class UserAgent extends Emitter<UserAgentEvents> {
  /** Give these to the transport below (it calls them with every message). */
  readonly handlers: TransportHandlers;
  readonly layer: TransactionLayer;
  readonly #core: UaCore;
  readonly #dialogs = new Map<string, DialogUser>();
  readonly #options: UserAgentOptions;
  readonly #maxDialogs: number;

  constructor(options: UserAgentOptions) {
    super();
    this.#options = options;
    this.#maxDialogs = options.maxDialogs ?? 10_000;
    const logger = options.logger ?? silentLogger;
    this.onListenerError = (error, event) => {
      logger.error(`a user agent '${event}' listener threw`, { error });
    };
    const clock = options.clock ?? createDefaultClock();
    const timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.layer = createTransactionLayer({
      transport: options.transport,
      clock,
      timers,
      logger,
      onServerTransaction: (rq, st, remote) => {
        this.#onRequest(rq, st, remote);
      },
      onAck: (ack) => {
        this.#find(ack, 'uas')?.handleAck(ack);
      },
      onStrayResponse: (rs) => {
        this.#onStrayResponse(rs);
      },
    });
    this.handlers = this.layer.handlers;
    const sender: SenderContext = {
      layer: this.layer,
      resolve: options.resolve ?? resolveNumeric,
      logger,
      auth: options.credentials === undefined ? undefined : createDigestClient(options.credentials),
      outboundProxy: options.outboundProxy,
    };
    const given = options.contact;
    const contactOf = (): NameAddr => {
      const text = typeof given === 'string' ? given : given();
      return parseNameAddr(text.includes('<') ? text : `<${text}>`);
    };
    const fixed = typeof given === 'string' ? contactOf() : undefined;
    const st = options.sessionTimer;
    this.#core = {
      layer: this.layer,
      clock,
      timers,
      logger,
      sender,
      contact: () => (fixed === undefined ? contactOf() : structuredClone(fixed)),
      invite: (o) => invite(this.#core, o, this.#from()),
      sessionTimer: st === undefined ? undefined : { expires: st.expires ?? 1800, minSE: Math.max(90, st.minSE ?? 90) },
      addDialog: (dialog, user) => {
        this.#dialogs.set(dialog.key, user);
      },
      removeDialog: (dialog) => {
        this.#dialogs.delete(dialog.key);
      },
      random: randomMs,
    };
  }

  /** Dialogs in the table (early and confirmed). */
  get dialogs(): number {
    return this.#dialogs.size;
  }

  /**
   * Calls `options.to`: resolves with the session of the first 2xx, after its ACK went out.
   * @throws CallFailedError on a non-2xx final response; the signal's reason when aborted
   * @example const session = await ua.invite({ to: 'sip:bob@127.0.0.1:5080', body: offer, signal: AbortSignal.timeout(30_000) })
   * @see RFC 3261 §13.2
   */
  invite(options: InviteOptions): Promise<Session> {
    return invite(this.#core, options, this.#from());
  }

  /**
   * Sends a request outside any dialog (OPTIONS, MESSAGE) with digest retry; resolves with its final response.
   * @see RFC 3261 §8.1
   */
  send(request: SipRequest, options: { signal?: AbortSignal } = {}): Promise<SipResponse> {
    return sendRequest(this.#core.sender, request, options);
  }

  #from(): string {
    const c = this.#options.contact;
    return this.#options.from ?? (typeof c === 'string' ? c : c());
  }

  /** Stops every transaction and timer of the layer (sessions end with `stopped`). */
  stop(): void {
    this.layer.stop();
    this.#dialogs.clear();
  }

  /** The dialog of an in-dialog message: for a request we received our tag is in To; `uas` looks it up that way. */
  #find(request: SipRequest, _side: 'uas'): DialogUser | undefined {
    const callId = request.headers['call-id'];
    if (callId === undefined) return undefined;
    return this.#dialogs.get(dialogKey({ callId, localTag: tagOf(request.headers.to), remoteTag: tagOf(request.headers.from) }));
  }

  #reply(rq: SipRequest, st: ServerTransactionHandle, status: number, headers: Record<string, string> = {}): void {
    st.respond(makeResponse(rq, status, undefined, { toTag: generateTag(), headers })).catch(() => undefined);
  }

  #onRequest(rq: SipRequest, st: ServerTransactionHandle, remote: Remote): void {
    if (tagOf(rq.headers.to) !== '') {
      const user = this.#find(rq, 'uas');
      // RFC 3261 §12.2.2: a request for a dialog we do not have gets 481.
      if (user === undefined) this.#reply(rq, st, 481);
      else user.handleRequest(rq, st);
      return;
    }
    if (rq.method === 'INVITE') {
      this.#onInvite(rq, st, remote);
      return;
    }
    if (this.emit('request', rq, st, remote)) return;
    if (rq.method === 'OPTIONS') this.#reply(rq, st, 200, { allow: ALLOW });
    else if (rq.method === 'BYE' || rq.method === 'UPDATE' || rq.method === 'PRACK') this.#reply(rq, st, 481);
    else this.#reply(rq, st, 405, { allow: ALLOW });
  }

  #onInvite(rq: SipRequest, st: ServerTransactionHandle, remote: Remote): void {
    if (this.#dialogs.size >= this.#maxDialogs) {
      this.#reply(rq, st, 486);
      return;
    }
    const contact = rq.headers.contact?.[0];
    if (contact === undefined || contact.uri === '*') {
      // RFC 3261 §8.1.1.8: an INVITE carries a Contact; without one no dialog can be made (§12.1.1).
      this.#core.logger.info('an INVITE without a Contact: 400', { callId: rq.headers['call-id'] });
      this.#reply(rq, st, 400, { warning: '399 - "Missing Contact"' });
      return;
    }
    let call: IncomingCall;
    try {
      call = new IncomingCall(this.#core, { request: rq, st, remote });
    } catch (e) {
      this.#core.logger.info('an INVITE that cannot make a dialog: 400', { error: e });
      this.#reply(rq, st, 400);
      return;
    }
    if (call.refuseShortTimer()) return;
    if (!this.emit('invite', call)) void call.reject(480).catch(() => undefined);
  }

  /** A 2xx after the INVITE transaction ended (Timer M): the ACK again (RFC 3261 §13.2.2.4). */
  #onStrayResponse(rs: SipResponse): void {
    if (rs.status < 200 || rs.status >= 300 || rs.headers.cseq?.method !== 'INVITE') return;
    const callId = rs.headers['call-id'];
    if (callId === undefined) return;
    const user = this.#dialogs.get(dialogKey({ callId, localTag: tagOf(rs.headers.from), remoteTag: tagOf(rs.headers.to) }));
    if (user !== undefined && 'resendAck' in user) (user as Session).resendAck(rs);
  }
}

/**
 * Creates a user agent.
 * @throws SipError `invalid-argument` for a Contact that does not parse
 * @example const ua = createUserAgent({ transport: layer, contact: 'sip:alice@127.0.0.1:5070' })
 * @see RFC 3261 §8
 */
export function createUserAgent(options: UserAgentOptions): UserAgent {
  if (options.contact === '' || (typeof options.contact !== 'string' && typeof options.contact !== 'function')) throw new SipError('invalid-argument', 'a user agent needs a contact URI');
  return new UserAgent(options);
}

export type { Dialog };
