/**
 * An INVITE session (RFC 3261 §13–§15) over one dialog: ACK for 2xx (UAC), 2xx retransmission until
 * the ACK (UAS), re-INVITE and UPDATE (RFC 3311) with glare (491 and the randomized retry, §14.1),
 * BYE from either side, other in-dialog requests as events, SDP offer/answer bookkeeping.
 * @see RFC 3261 §12.2, §13.2.2.4, §13.3.1.4, §14, §15; RFC 3311; RFC 3264
 */
import { makeResponse, SipError, type Headers, type SipRequest, type SipResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { dialogTarget, type DialogUser, type UaCore } from './core.js';
import type { Dialog } from './dialog.js';
import { Emitter } from './emitter.js';
import { CallFailedError } from './errors.js';
import { OfferAnswer } from './offer-answer.js';
import { startRetransmission, type Retransmission } from './retransmit.js';
import { sendRequest, targetsFor } from './sender.js';
import { handleInDialogRequest } from './session-incoming.js';
import type { SessionTimer } from './session-timer.js';

/** Why a session ended. */
export interface SessionEnd {
  reason: 'bye-received' | 'bye-sent' | 'ack-timeout' | 'session-expired' | 'failed' | 'stopped';
  /** The BYE that ended it, for `bye-received`. */
  request?: SipRequest;
}

/** Events of a {@link Session}. */
export interface SessionEvents extends Record<string, unknown[]> {
  /** The peer sent BYE (answered 200 already). */
  bye: [request: SipRequest];
  /** The session ended, for whatever reason (once). */
  ended: [end: SessionEnd];
  /** A request in the dialog other than BYE/INVITE/UPDATE/ACK/PRACK (INFO, MESSAGE, NOTIFY, OPTIONS): answer with `respond`; unanswered → 200. */
  request: [request: SipRequest, respond: (status: number, options?: { headers?: Headers; body?: string }) => void];
  /** An offer/answer exchange completed: `sdp.remote` and `sdp.local` are the new session descriptions. */
  sdp: [remote: string | undefined, local: string | undefined];
  /** A re-INVITE or UPDATE from the peer was accepted (target refresh, session-timer refresh). */
  refresh: [request: SipRequest];
}

/** What the peer's offer is answered with; the default answers with the last local SDP. */
export type OfferHandler = (offer: string, request: SipRequest) => string | Promise<string>;

/** Options of an in-dialog request. */
export interface InDialogOptions {
  headers?: Headers;
  body?: string;
  /** Default `application/sdp` for INVITE/UPDATE/PRACK bodies. */
  contentType?: string;
}

/** Attempts of one re-INVITE/UPDATE that meets glare before giving up (§14.1). */
const MAX_GLARE_RETRIES = 3;

/**
 * One call leg.
 * @example
 * const session = await ua.invite({ to: 'sip:bob@127.0.0.1:5070', body: offer });
 * session.on('bye', () => console.log('hung up'));
 * await session.bye();
 * @see RFC 3261 §13–§15
 */
export class Session extends Emitter<SessionEvents> implements DialogUser {
  readonly sdp = new OfferAnswer();
  /** Answers the peer's offers (re-INVITE, UPDATE, PRACK). Default: the last local SDP. */
  onOffer: OfferHandler = () => this.sdp.local ?? '';
  /** Resolves when the session ends. */
  readonly ended: Promise<SessionEnd>;
  /** @internal Set by the session-timer negotiation. */
  timer: SessionTimer | undefined;
  /** @internal A PRACK for the UAS's reliable provisional responses (RFC 3262). */
  prackHandler: ((request: SipRequest, st: ServerTransactionHandle) => boolean) | undefined;
  /** @internal An INVITE (initial or re-INVITE) we sent and that has no final response yet. */
  inviteOut = false;
  /** @internal An INVITE we answered 2xx to whose ACK has not come, or that we have not answered. */
  inviteIn: { cseq: number; retransmission: Retransmission | undefined; onAck: (ack: SipRequest) => void } | undefined;
  /** @internal Peer allows UPDATE (from Allow in the dialog-creating message). */
  peerAllowsUpdate = false;
  #ack: SipRequest | undefined;
  #resolveEnded!: (end: SessionEnd) => void;
  #terminated = false;
  /** Why it ended, once it has (final events are replayed to late listeners). */
  #end: SessionEnd | undefined;
  /** The BYE that ended it, once its `bye` event has fired. */
  #bye: SipRequest | undefined;

  constructor(
    readonly core: UaCore,
    readonly dialog: Dialog,
    /** Who sent the dialog-creating INVITE. */
    readonly role: 'uac' | 'uas',
  ) {
    super();
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.onListenerError = (error, event) => {
      core.logger.error(`a session '${event}' listener threw`, { error });
    };
  }

  /**
   * Adds a listener. `ended` and `bye` are final: a listener added after they fired is called
   * with them in a microtask. A BYE in the same read as the ACK (one TCP segment) is handled
   * before the code awaiting `accept()` runs, and must not be missed by the listeners it adds.
   */
  override on<K extends keyof SessionEvents & string>(event: K, fn: (...args: SessionEvents[K]) => void): this {
    super.on(event, fn);
    const end = this.#end;
    if (end === undefined) return this;
    let args: unknown[] | undefined;
    if (event === 'ended') args = [end];
    else if (event === 'bye' && this.#bye !== undefined) args = [this.#bye];
    if (args === undefined) return this;
    const replay = args as SessionEvents[K];
    queueMicrotask(() => {
      if (!this.has(event, fn)) return;
      try {
        fn(...replay);
      } catch (e) {
        this.onListenerError(e, event);
      }
    });
    return this;
  }

  /** `early`, `confirmed` or `terminated`. */
  get state(): Dialog['state'] {
    return this.dialog.state;
  }

  /**
   * Sends BYE (RFC 3261 §15.1.1) and ends the session whatever the answer.
   * @returns the final response to the BYE
   */
  async bye(options: InDialogOptions = {}): Promise<SipResponse> {
    if (this.#terminated) throw new SipError('invalid-state', 'the session has ended');
    const request = this.#build('BYE', options);
    this.terminate({ reason: 'bye-sent' });
    return sendRequest(this.core.sender, request, this.#sendOptions());
  }

  /**
   * Sends a re-INVITE (RFC 3261 §14.1) with `body` as the offer (default: the last local SDP); a
   * 491 is retried after the randomized wait of §14.1; the 2xx is acknowledged.
   * @throws SipError `invalid-state` when an INVITE is in progress in either direction; CallFailedError on a non-2xx
   */
  async reinvite(options: InDialogOptions = {}): Promise<SipResponse> {
    return this.#withGlareRetry(() => this.#reinviteOnce(options));
  }

  /**
   * Sends UPDATE (RFC 3311) with `body` as the offer, or without a body (a session-timer refresh).
   * @throws SipError `invalid-state` when an offer is outstanding; CallFailedError on a non-2xx
   */
  async update(options: InDialogOptions = {}): Promise<SipResponse> {
    return this.#withGlareRetry(() => this.#updateOnce(options));
  }

  /**
   * Sends any other request in the dialog (INFO, MESSAGE, NOTIFY, OPTIONS).
   * @returns the final response (never rejects for SIP outcomes)
   */
  request(method: string, options: InDialogOptions = {}): Promise<SipResponse> {
    return sendRequest(this.core.sender, this.#build(method, options), this.#sendOptions());
  }

  /** @internal Ends the session locally (no message sent). Idempotent. */
  terminate(end: SessionEnd): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#end = end;
    this.dialog.state = 'terminated';
    this.inviteIn?.retransmission?.stop();
    this.timer?.stop();
    this.core.removeDialog(this.dialog);
    this.#resolveEnded(end);
    this.emit('ended', end);
  }

  /** @internal Emits an event from a helper module. */
  fire<K extends keyof SessionEvents & string>(event: K, ...args: SessionEvents[K]): boolean {
    if (event === 'bye') this.#bye = args[0] as SipRequest;
    return this.emit(event, ...args);
  }

  /** @internal A request in this dialog. */
  handleRequest(request: SipRequest, st: ServerTransactionHandle): void {
    handleInDialogRequest(this, request, st);
  }

  /** @internal An ACK in this dialog (RFC 3261 §13.3.1.4: it ends the 2xx retransmissions). */
  handleAck(ack: SipRequest): void {
    const pending = this.inviteIn;
    if (pending === undefined || ack.headers.cseq?.seq !== pending.cseq) return;
    pending.retransmission?.stop();
    this.inviteIn = undefined;
    pending.onAck(ack);
  }

  /**
   * @internal UAS: sends `response` (a 2xx to an INVITE) and retransmits it T1, 2·T1… (capped at T2)
   * until the ACK; after 64·T1 sends BYE (RFC 3261 §13.3.1.4).
   */
  send2xx(st: ServerTransactionHandle, response: SipResponse, onAck: (ack: SipRequest) => void, onTimeout: () => void): void {
    const seq = response.headers.cseq?.seq ?? 0;
    const resend = (): void => {
      const p = st.state === 'accepted' ? st.respond(response) : this.core.layer.sendStateless(response, st.remote).then(() => undefined);
      p.catch((e: unknown) => {
        this.core.logger.info('could not retransmit a 2xx', { error: e });
      });
    };
    st.respond(response).catch((e: unknown) => {
      this.core.logger.info('could not send a 2xx', { error: e });
    });
    const retransmission = startRetransmission({
      clock: this.core.clock,
      timers: this.core.timers,
      send: resend,
      onTimeout: () => {
        this.inviteIn = undefined;
        this.core.logger.info('no ACK for a 2xx in 64·T1: sending BYE', { callId: this.dialog.id.callId });
        onTimeout();
        if (!this.#terminated) {
          const bye = this.#build('BYE', {});
          this.terminate({ reason: 'ack-timeout' });
          void sendRequest(this.core.sender, bye, this.#sendOptions());
        }
      },
    });
    this.inviteIn = { cseq: seq, retransmission, onAck };
  }

  /** @internal UAC: sends the ACK for a 2xx (RFC 3261 §13.2.2.4: same CSeq number, no transaction). */
  sendAck(response: SipResponse, body?: string): void {
    const seq = response.headers.cseq?.seq ?? this.dialog.localSeq;
    const headers: Headers = body !== undefined && body !== '' ? { 'content-type': 'application/sdp' } : {};
    const ack = this.dialog.createRequest('ACK', { cseq: seq, headers, ...(body !== undefined ? { body } : {}) });
    this.#ack = ack;
    this.#transmitAck(ack);
  }

  /** @internal UAC: a retransmitted 2xx (RFC 3261 §13.2.2.4: the same ACK again). */
  resendAck(response: SipResponse): void {
    const ack = this.#ack;
    if (ack !== undefined && ack.headers.cseq?.seq === response.headers.cseq?.seq) this.#transmitAck(ack);
  }

  #transmitAck(ack: SipRequest): void {
    const copy = structuredClone(ack);
    delete copy.headers.via; // a retransmitted ACK is sent with a new branch: it has no transaction
    void targetsFor(this.core.sender, copy, dialogTarget(this.dialog))
      .then(async (targets) => {
        const first = targets[0];
        if (first === undefined) throw new SipError('send-failed', 'no target for the ACK', { status: 503 });
        await this.core.layer.sendAck(copy, first);
      })
      .catch((e: unknown) => {
        this.core.logger.info('could not send an ACK', { error: e });
      });
  }

  /** @internal Builds an in-dialog request with our Contact (target refresh requests carry it, §12.2.1.1). */
  build(method: string, options: InDialogOptions): SipRequest {
    return this.#build(method, options);
  }

  #build(method: string, options: InDialogOptions): SipRequest {
    const headers: Headers = { ...options.headers };
    if (method === 'INVITE' || method === 'UPDATE') headers.contact = [this.core.contact()];
    if (options.body !== undefined && options.body !== '') headers['content-type'] = options.contentType ?? 'application/sdp';
    return this.dialog.createRequest(method, { headers, ...(options.body !== undefined ? { body: options.body } : {}) });
  }

  /** @internal Send options inside this dialog: its connection, and the local CSeq follows digest retries. */
  sendOptions(): { target: ReturnType<typeof dialogTarget>; onSent: (rq: SipRequest) => void } {
    return this.#sendOptions();
  }

  #sendOptions(): { target: ReturnType<typeof dialogTarget>; onSent: (rq: SipRequest) => void } {
    return {
      target: dialogTarget(this.dialog),
      onSent: (rq) => {
        const seq = rq.headers.cseq?.seq;
        if (seq !== undefined && seq > this.dialog.localSeq) this.dialog.localSeq = seq;
      },
    };
  }

  async #reinviteOnce(options: InDialogOptions): Promise<SipResponse> {
    if (this.#terminated) throw new SipError('invalid-state', 'the session has ended');
    if (this.inviteOut || this.inviteIn !== undefined) throw new SipError('invalid-state', 'an INVITE is in progress in this dialog (RFC 3261 §14.1)', { status: 491 });
    const body = options.body ?? this.sdp.local ?? '';
    if (body !== '') this.sdp.sendOffer(body);
    this.inviteOut = true;
    const rq = this.#build('INVITE', { ...options, body });
    this.timer?.addHeaders(rq, this.role);
    let rs: SipResponse;
    try {
      rs = await sendRequest(this.core.sender, rq, this.#sendOptions());
    } finally {
      this.inviteOut = false;
    }
    if (rs.status >= 300 || rs.status < 200) {
      if (body !== '') this.sdp.rollback();
      // §14.1: a 408 or 481 to a re-INVITE ends the dialog.
      if (rs.status === 408 || rs.status === 481) void this.bye().catch(() => undefined);
      throw new CallFailedError(rs);
    }
    this.dialog.refreshTarget(rs);
    const answer = typeof rs.content === 'string' ? rs.content : '';
    if (body !== '' && answer !== '') this.sdp.receiveAnswer(answer);
    this.sendAck(rs);
    this.timer?.onRefreshResponse(rs);
    if (body !== '' && answer !== '') this.emit('sdp', this.sdp.remote, this.sdp.local);
    return rs;
  }

  async #updateOnce(options: InDialogOptions): Promise<SipResponse> {
    if (this.#terminated) throw new SipError('invalid-state', 'the session has ended');
    const body = options.body;
    if (body !== undefined && body !== '') this.sdp.sendOffer(body);
    const rq = this.#build('UPDATE', options);
    this.timer?.addHeaders(rq, this.role);
    const rs = await sendRequest(this.core.sender, rq, this.#sendOptions());
    const offered = body !== undefined && body !== '';
    if (rs.status >= 300) {
      if (offered) this.sdp.rollback();
      throw new CallFailedError(rs);
    }
    this.dialog.refreshTarget(rs);
    const answer = typeof rs.content === 'string' ? rs.content : '';
    if (offered && answer !== '') {
      this.sdp.receiveAnswer(answer);
      this.emit('sdp', this.sdp.remote, this.sdp.local);
    }
    this.timer?.onRefreshResponse(rs);
    return rs;
  }

  /** RFC 3261 §14.1: after a 491, wait 2.1–4 s (owner of the Call-ID, the UAC) or 0–2 s, then try again. */
  async #withGlareRetry(once: () => Promise<SipResponse>): Promise<SipResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once();
      } catch (e) {
        if (!(e instanceof CallFailedError) || e.status !== 491 || attempt >= MAX_GLARE_RETRIES || this.#terminated) throw e;
        const wait = this.role === 'uac' ? this.core.random(2100, 4000) : this.core.random(0, 2000);
        await new Promise<void>((resolve) => this.core.clock.set(wait, resolve));
      }
    }
  }

  /** @internal Answers `request` in this dialog with `status`. */
  reply(st: ServerTransactionHandle, status: number, options: { headers?: Headers; body?: string } = {}): void {
    const headers: Headers = { ...options.headers };
    if (options.body !== undefined && options.body !== '') headers['content-type'] ??= 'application/sdp';
    const rs = makeResponse(st.request, status, undefined, { toTag: this.dialog.id.localTag, headers, ...(options.body !== undefined ? { content: options.body } : {}) });
    st.respond(rs).catch((e: unknown) => {
      this.core.logger.info('could not answer an in-dialog request', { status, error: e });
    });
  }
}
