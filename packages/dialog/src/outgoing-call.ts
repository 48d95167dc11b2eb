/**
 * The UAC side of an INVITE (RFC 3261 §13.2): the request, early dialogs from 1xx with a To tag,
 * PRACK for reliable provisional responses (RFC 3262 §4), the ACK for each 2xx (forks make several
 * dialogs: the first wins, the others get ACK and BYE unless `onFork` takes them), CANCEL through
 * an AbortSignal, digest retry, and session-timer negotiation (RFC 4028 §7).
 * @see RFC 3261 §13.2, §12.1.2, §9.1; RFC 3262 §4; RFC 4028 §7
 */
import { parseNameAddr, SipError, type Headers, type NameAddr, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { ALLOW, type UaCore } from './core.js';
import { Dialog, initialCSeq, tagOf } from './dialog.js';
import { CallFailedError } from './errors.js';
import { addToken, hasToken, numberHeader } from './headers.js';
import { sendRequest } from './sender.js';
import { Session } from './session.js';
import { requestSessionTimer, SessionTimer } from './session-timer.js';

/** Options of `ua.invite`. */
export interface InviteOptions {
  /** The callee: a URI or a name-addr (`"Bob" <sip:bob@example.com>`). */
  to: string;
  /** The caller (default: the UA's `from`). */
  from?: string;
  /** Request-URI (default: the URI of `to`). */
  uri?: string;
  /** The offer (SDP); without one the 2xx carries the offer and `onOffer` answers it in the ACK. */
  body?: string;
  /** Default `application/sdp`. */
  contentType?: string;
  headers?: Headers;
  /** Aborting sends CANCEL (RFC 3261 §9.1); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Every provisional response, with the early session when it has a To tag. */
  onProgress?: (response: SipResponse, early: Session | undefined) => void;
  /** A 2xx from another fork after the first: the session is yours; without this it gets ACK and BYE. */
  onFork?: (session: Session) => void;
  /** Answers an offer in a 2xx (when the INVITE had none) or in a reliable 1xx. Default: reject (BYE). */
  onOffer?: (offer: string) => string | Promise<string>;
  /** RFC 3262: `'supported'` (default) or `'required'`, or false to leave 100rel out. */
  reliable?: 'supported' | 'required' | false;
  /** A Call-ID (default: random). */
  callId?: string;
}

/** Builds the initial INVITE (RFC 3261 §8.1.1, §13.2.1). */
function buildInvite(core: UaCore, options: InviteOptions, defaultFrom: string): SipRequest {
  const to: NameAddr = parseNameAddr(options.to);
  const from: NameAddr = parseNameAddr(options.from ?? defaultFrom);
  from.params.tag = generateTag();
  delete to.params.tag;
  const headers: Headers = {
    to,
    from,
    'call-id': options.callId ?? `${generateTag()}${generateTag()}`,
    cseq: { seq: initialCSeq(), method: 'INVITE' },
    'max-forwards': '70',
    contact: [core.contact()],
    allow: ALLOW,
  };
  const body = options.body ?? '';
  if (body !== '') headers['content-type'] = options.contentType ?? 'application/sdp';
  const request: SipRequest = { method: 'INVITE', uri: options.uri ?? to.uri, version: '2.0', headers, content: body };
  const reliable = options.reliable ?? 'supported';
  if (reliable !== false) addToken(request.headers, reliable === 'required' ? 'require' : 'supported', '100rel');
  if (core.sessionTimer !== undefined) requestSessionTimer(request, core.sessionTimer);
  Object.assign(request.headers, options.headers);
  return request;
}

/** Dialogs one INVITE may create (RFC 3261 §12.1.2 forks): a peer cannot grow the table past it. */
export const MAX_FORKS = 32;

function bodyText(message: SipResponse): string {
  return typeof message.content === 'string' ? message.content : '';
}

/**
 * Sends an INVITE and resolves with the session of the first 2xx (after its ACK was sent).
 * @throws CallFailedError for a non-2xx final response; the signal's reason when aborted
 * @see RFC 3261 §13.2
 */
export function invite(core: UaCore, options: InviteOptions, defaultFrom: string): Promise<Session> {
  const request = buildInvite(core, options, defaultFrom);
  const offer = typeof request.content === 'string' ? request.content : '';
  const sessions = new Map<string, Session & { lastRSeq?: number }>();
  let winner: Session | undefined;
  let aborted = false;
  /** Dialogs whose 2xx got its ACK: a further 2xx with that tag is a retransmission. */
  const acknowledged = new Set<Session>();

  return new Promise<Session>((resolve, reject) => {
    const signal = options.signal;
    signal?.addEventListener(
      'abort',
      () => {
        aborted = true;
        reject(signal.reason instanceof Error ? signal.reason : new SipError('aborted', 'the call was cancelled', { status: 487 }));
      },
      { once: true },
    );

    const sessionFor = (sent: SipRequest, rs: SipResponse): (Session & { lastRSeq?: number }) | undefined => {
      const tag = tagOf(rs.headers.to);
      if (tag === '') return undefined;
      let s = sessions.get(tag);
      if (s === undefined) {
        if (sessions.size >= MAX_FORKS) {
          core.logger.warn('too many forks for one INVITE: no dialog for this To tag', { callId: sent.headers['call-id'], status: rs.status });
          return undefined;
        }
        const dialog = Dialog.fromUac(sent, rs);
        dialog.localSeq = sent.headers.cseq?.seq ?? dialog.localSeq;
        s = new Session(core, dialog, 'uac');
        s.peerAllowsUpdate = hasToken(rs, 'allow', 'UPDATE');
        if (offer !== '') s.sdp.sendOffer(offer);
        if (options.onOffer !== undefined) s.onOffer = (o) => (options.onOffer as (x: string) => string | Promise<string>)(o);
        s.inviteOut = true;
        sessions.set(tag, s);
        core.addDialog(dialog, s);
      }
      return s;
    };

    const prack = (s: Session & { lastRSeq?: number }, sent: SipRequest, rs: SipResponse): void => {
      // RFC 3262 §4: PRACK each reliable provisional once, in RSeq order; retransmissions are dropped.
      const rseq = numberHeader(rs, 'rseq');
      if (rseq === undefined) return;
      if (s.lastRSeq !== undefined && rseq !== s.lastRSeq + 1) return;
      s.lastRSeq = rseq;
      const body = bodyText(rs);
      const send = (answer: string | undefined): void => {
        const cseq = sent.headers.cseq?.seq ?? 0;
        const rq = s.build('PRACK', { headers: { rack: `${String(rseq)} ${String(cseq)} INVITE` }, ...(answer !== undefined ? { body: answer } : {}) });
        void sendRequest(core.sender, rq, s.sendOptions());
      };
      if (body === '') {
        send(undefined);
        return;
      }
      if (s.sdp.state === 'local-offer') {
        s.sdp.receiveAnswer(body);
        send(undefined);
        return;
      }
      // An offer in a reliable 1xx: the PRACK carries the answer (RFC 3262 §5).
      s.sdp.receiveOffer(body);
      void Promise.resolve(s.onOffer(body, sent)).then((answer) => {
        s.sdp.sendAnswer(answer);
        send(answer);
      });
    };

    const onTwoHundred = (sent: SipRequest, rs: SipResponse): void => {
      const s = sessionFor(sent, rs);
      if (s === undefined) return; // a 2xx without a To tag: no dialog can be made
      if (acknowledged.has(s)) {
        s.resendAck(rs); // RFC 3261 §13.2.2.4: a retransmitted 2xx gets the same ACK
        return;
      }
      acknowledged.add(s);
      s.dialog.confirm(rs);
      s.inviteOut = false;
      s.peerAllowsUpdate = hasToken(rs, 'allow', 'UPDATE') || s.peerAllowsUpdate;
      const body = bodyText(rs);
      const finish = (ackBody: string | undefined): void => {
        s.sendAck(rs, ackBody);
        const timer = SessionTimer.fromUacResponse(s, rs);
        if (timer !== undefined) {
          s.timer = timer;
          timer.arm();
        }
        if (winner === undefined && !aborted) {
          winner = s;
          for (const [tag, other] of sessions) if (other !== s && other.state === 'early') sessions.delete(tag);
          resolve(s);
        } else if (options.onFork !== undefined && !aborted) {
          options.onFork(s);
        } else {
          void s.bye().catch(() => undefined); // §13.2.2.4: an unwanted fork is acknowledged, then ended
        }
      };
      if (body !== '' && s.sdp.state === 'local-offer') {
        s.sdp.receiveAnswer(body);
        finish(undefined);
      } else if (body !== '' && s.sdp.state === 'stable' && s.sdp.remote === undefined) {
        // The offer came in the 2xx: the ACK carries our answer (RFC 3261 §13.2.1).
        s.sdp.receiveOffer(body);
        void Promise.resolve(s.onOffer(body, sent))
          .then((answer) => {
            s.sdp.sendAnswer(answer);
            finish(answer);
          })
          .catch(() => {
            finish(undefined);
            void s.bye().catch(() => undefined);
          });
      } else {
        finish(undefined);
      }
    };

    let lastSent = request;
    let retried422 = false;
    const attempt = (rq: SipRequest): void => {
      void sendRequest(core.sender, rq, {
        ...(signal !== undefined ? { signal } : {}),
        onSent(sent) {
          lastSent = sent;
        },
        onResponse(rs, sent) {
          if (rs.status < 200) {
            if (rs.status === 100) return;
            const s = sessionFor(sent, rs);
            if (s !== undefined && s.state === 'early') {
              s.dialog.refreshTarget(rs);
              if (hasToken(rs, 'require', '100rel')) prack(s, sent, rs);
            }
            options.onProgress?.(rs, s);
            return;
          }
          if (rs.status < 300) onTwoHundred(sent, rs);
        },
      }).then((final) => {
        if (final.status >= 200 && final.status < 300) return;
        // §13.2.2.3, §12.3: a non-2xx final ends every early dialog.
        for (const s of sessions.values()) if (s.state === 'early') s.terminate({ reason: 'failed' });
        sessions.clear();
        const retry = final.status === 422 && !retried422 && signal?.aborted !== true ? retryAfter422(lastSent, final) : undefined;
        if (retry !== undefined) {
          retried422 = true;
          attempt(retry);
          return;
        }
        reject(new CallFailedError(final));
      });
    };
    attempt(request);
  });
}

/**
 * RFC 4028 §7.4: after a 422, the INVITE again with Session-Expires (and Min-SE) raised to the
 * 422's Min-SE: a new transaction (CSeq + 1, a new branch), the same Call-ID and From tag.
 */
function retryAfter422(sent: SipRequest, response: SipResponse): SipRequest | undefined {
  const minSE = numberHeader(response, 'min-se');
  if (minSE === undefined) return undefined;
  const retry = structuredClone(sent);
  delete retry.headers.via;
  const cseq = retry.headers.cseq;
  if (cseq !== undefined) cseq.seq += 1;
  retry.headers['session-expires'] = String(minSE);
  retry.headers['min-se'] = String(minSE);
  return retry;
}
