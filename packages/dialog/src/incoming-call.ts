/**
 * The UAS side of an INVITE (RFC 3261 §13.3): provisional responses (reliable ones with RSeq and
 * PRACK, RFC 3262 §3), accept (the 2xx, retransmitted until the ACK), reject, and CANCEL (§9.2).
 * @see RFC 3261 §13.3, §9.2, §12.1.1; RFC 3262 §3; RFC 4028 §9
 */
import { makeResponse, SipError, type Headers, type SipRequest, type SipResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { generateTag, type Remote } from '@sipts/transport';
import { ALLOW, type UaCore } from './core.js';
import { Dialog, initialCSeq } from './dialog.js';
import { Emitter } from './emitter.js';
import { hasToken, parseRAck } from './headers.js';
import { startRetransmission, type Retransmission } from './retransmit.js';
import { Session } from './session.js';
import { checkMinSE, SessionTimer } from './session-timer.js';

/** Options of a response sent through an {@link IncomingCall}. */
export interface AnswerOptions {
  headers?: Headers;
  /** SDP: the answer to the INVITE's offer, or our offer when it had none. */
  body?: string;
  contentType?: string;
}

/** Events of an {@link IncomingCall}. */
export interface IncomingCallEvents extends Record<string, unknown[]> {
  /** The caller cancelled (the layer answered 200 and 487 already). */
  cancel: [cancel: SipRequest];
}

/**
 * An INVITE that started a new dialog: answer it with `progress`, `accept` or `reject`.
 * @example
 * ua.on('invite', async (call) => {
 *   await call.progress(180);
 *   const session = await call.accept({ body: answerSdp });
 * });
 * @see RFC 3261 §13.3
 */
export class IncomingCall extends Emitter<IncomingCallEvents> {
  readonly session: Session;
  /** The INVITE's offer, if it had one. */
  readonly offer: string | undefined;
  #final = false;
  #rseq = initialCSeq();
  #reliablePending: { rseq: number; retransmission: Retransmission; resolve: () => void; reject: (e: Error) => void } | undefined;
  #cancelled = false;

  readonly request: SipRequest;
  readonly st: ServerTransactionHandle;
  readonly remote: Remote;

  /** `arrival`: the INVITE, its server transaction, and where it came from. */
  constructor(
    readonly core: UaCore,
    arrival: { request: SipRequest; st: ServerTransactionHandle; remote: Remote },
  ) {
    super();
    const { request, st, remote } = arrival;
    this.request = request;
    this.st = st;
    this.remote = remote;
    const dialog = Dialog.fromUas(request, generateTag(), remote);
    this.session = new Session(core, dialog, 'uas');
    this.session.peerAllowsUpdate = hasToken(request, 'allow', 'UPDATE');
    const body = typeof request.content === 'string' ? request.content : '';
    this.offer = body === '' ? undefined : body;
    if (this.offer !== undefined) this.session.sdp.receiveOffer(this.offer);
    this.session.prackHandler = (rq, prackSt) => this.#onPrack(rq, prackSt);
    st.onCancel = (cancel) => {
      this.#cancelled = true;
      this.#final = true;
      this.#reliablePending?.retransmission.stop();
      this.session.terminate({ reason: 'failed' });
      this.emit('cancel', cancel);
    };
  }

  /** True once a CANCEL matched the INVITE. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** True when the caller supports (or requires) reliable provisional responses (RFC 3262). */
  get reliableSupported(): boolean {
    return hasToken(this.request, 'supported', '100rel') || hasToken(this.request, 'require', '100rel');
  }

  /**
   * Sends a provisional response (default 180). With `reliable` (and a caller that supports 100rel)
   * it carries Require: 100rel and RSeq, is retransmitted until its PRACK (RFC 3262 §3), and the
   * promise resolves on the PRACK; one reliable provisional is outstanding at a time.
   * @throws SipError `invalid-state` after a final response, or while a reliable one waits for its PRACK
   */
  progress(status = 180, options: AnswerOptions & { reliable?: boolean } = {}): Promise<void> {
    if (this.#final) return Promise.reject(new SipError('invalid-state', 'the INVITE has a final response'));
    const reliable = options.reliable === true && this.reliableSupported;
    if (reliable && this.#reliablePending !== undefined) return Promise.reject(new SipError('invalid-state', 'a reliable provisional waits for its PRACK (RFC 3262 §3)'));
    const rs = this.#response(status, options);
    this.core.addDialog(this.session.dialog, this.session);
    if (!reliable) {
      return this.st.respond(rs);
    }
    const rseq = ++this.#rseq;
    rs.headers.require = '100rel';
    rs.headers.rseq = String(rseq);
    if (options.body !== undefined && options.body !== '') this.#sdpOut(options.body);
    return new Promise<void>((resolve, reject) => {
      const retransmission = startRetransmission({
        clock: this.core.clock,
        timers: this.core.timers,
        capAtT2: false,
        send: () => void this.st.respond(rs).catch(() => undefined),
        onTimeout: () => {
          // RFC 3262 §3: no PRACK in 64·T1: reject the INVITE with a 5xx.
          this.#reliablePending = undefined;
          reject(new SipError('prack-timeout', 'no PRACK for a reliable provisional response', { status: 504 }));
          void this.reject(500).catch(() => undefined);
        },
      });
      this.#reliablePending = { rseq, retransmission, resolve, reject };
      this.st.respond(rs).catch(reject);
    });
  }

  /**
   * Accepts the call: sends 200 (with `body`), retransmits it until the ACK, and resolves with the
   * session when the ACK arrives (RFC 3261 §13.3.1.4). No ACK in 64·T1: BYE, and a rejection.
   * @throws SipError `invalid-state` after a final response or a CANCEL; `ack-timeout` (408) without an ACK
   */
  accept(options: AnswerOptions = {}): Promise<Session> {
    if (this.#final) return Promise.reject(new SipError('invalid-state', this.#cancelled ? 'the INVITE was cancelled' : 'the INVITE has a final response'));
    this.#final = true;
    this.#reliablePending?.retransmission.stop();
    const session = this.session;
    const rs = this.#response(200, options);
    rs.headers.contact = [this.core.contact()];
    const body = options.body ?? '';
    if (body !== '') this.#sdpOut(body);
    const timerOptions = this.core.sessionTimer;
    if (timerOptions !== undefined) {
      session.timer = SessionTimer.forUasResponse(session, this.request, rs, timerOptions);
    }
    session.dialog.state = 'confirmed';
    this.core.addDialog(session.dialog, session);
    return new Promise<Session>((resolve, reject) => {
      session.send2xx(
        this.st,
        rs,
        (ack) => {
          const answer = typeof ack.content === 'string' ? ack.content : '';
          if (session.sdp.state === 'local-offer' && answer !== '') session.sdp.receiveAnswer(answer);
          session.timer?.arm();
          resolve(session);
        },
        () => {
          reject(new SipError('ack-timeout', 'no ACK for the 2xx in 64·T1 (RFC 3261 §13.3.1.4)', { status: 408 }));
        },
      );
    });
  }

  /**
   * Rejects the call with a final non-2xx response (default 486 Busy Here).
   * @throws SipError `invalid-state` after a final response
   */
  reject(status = 486, options: AnswerOptions = {}): Promise<void> {
    if (this.#final) return Promise.reject(new SipError('invalid-state', 'the INVITE has a final response'));
    if (status < 300) return Promise.reject(new SipError('invalid-argument', `reject takes a status ≥ 300, not ${String(status)}`));
    this.#final = true;
    this.#reliablePending?.retransmission.stop();
    this.session.terminate({ reason: 'failed' });
    return this.st.respond(this.#response(status, options));
  }

  /** @internal The Min-SE check of RFC 4028 §8.1: true when it answered 422. */
  refuseShortTimer(): boolean {
    const options = this.core.sessionTimer;
    const headers = options === undefined ? undefined : checkMinSE(this.request, options);
    if (headers === undefined) return false;
    void this.reject(422, { headers });
    return true;
  }

  #sdpOut(body: string): void {
    const sdp = this.session.sdp;
    if (sdp.state === 'remote-offer') sdp.sendAnswer(body);
    else if (sdp.state === 'stable') sdp.sendOffer(body);
  }

  #response(status: number, options: AnswerOptions): SipResponse {
    const headers: Headers = { ...options.headers };
    if (status < 300) {
      headers.contact = [this.core.contact()];
      headers.allow = ALLOW;
      // RFC 3261 §12.1.1: a dialog-creating response copies the request's Record-Route, so the
      // caller learns the same route set.
      const rr = this.request.headers['record-route'];
      if (rr !== undefined && rr.length > 0) headers['record-route'] = structuredClone(rr);
    }
    const body = options.body ?? '';
    if (body !== '') headers['content-type'] = options.contentType ?? 'application/sdp';
    return makeResponse(this.request, status, undefined, { toTag: this.session.dialog.id.localTag, headers, content: body });
  }

  /** RFC 3262 §3: a PRACK whose RAck matches the outstanding reliable provisional gets 200 and stops it. */
  #onPrack(request: SipRequest, st: ServerTransactionHandle): boolean {
    const rack = parseRAck(request);
    const pending = this.#reliablePending;
    const cseq = this.request.headers.cseq?.seq;
    if (rack === undefined || pending === undefined || rack.rseq !== pending.rseq || rack.cseq !== cseq || rack.method !== 'INVITE') return false;
    pending.retransmission.stop();
    this.#reliablePending = undefined;
    const body = typeof request.content === 'string' ? request.content : '';
    if (body !== '' && this.session.sdp.state === 'local-offer') this.session.sdp.receiveAnswer(body);
    this.session.reply(st, 200);
    pending.resolve();
    return true;
  }
}
