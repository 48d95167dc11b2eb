/**
 * Requests the peer sends inside a session's dialog (RFC 3261 §12.2.2, §14.2, §15.1.2; RFC 3311
 * §5.2): the CSeq check, BYE, re-INVITE and UPDATE with glare, PRACK, and the rest as events.
 * @see RFC 3261 §12.2.2, §14.2, §15.1.2; RFC 3311 §5.2
 */
import { makeResponse, type Headers, type SipRequest } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { ALLOW } from './core.js';
import type { Session } from './session.js';

function bodyOf(request: SipRequest): string {
  return typeof request.content === 'string' ? request.content : '';
}

/** Runs the session's offer handler; a failure answers 488 (RFC 3261 §14.2). */
async function answerOffer(session: Session, offer: string, request: SipRequest): Promise<string | undefined> {
  try {
    return await session.onOffer(offer, request);
  } catch (e) {
    session.core.logger.info('the offer handler failed: 488', { error: e });
    return undefined;
  }
}

/** Dispatches one in-dialog request (not ACK, not CANCEL: the layer and the UA handle those). */
export function handleInDialogRequest(session: Session, request: SipRequest, st: ServerTransactionHandle): void {
  const dialog = session.dialog;
  if (dialog.state === 'terminated') {
    session.reply(st, 481);
    return;
  }
  // §12.2.2: a CSeq lower than (or equal to) the remote CSeq is out of order: 500.
  if (!dialog.acceptRemoteSeq(request)) {
    session.reply(st, 500, { headers: { 'retry-after': '0' } });
    return;
  }
  switch (request.method) {
    case 'BYE':
      session.reply(st, 200);
      session.terminate({ reason: 'bye-received', request });
      session.fire('bye', request);
      return;
    case 'INVITE':
      void reinvite(session, request, st);
      return;
    case 'UPDATE':
      void update(session, request, st);
      return;
    case 'PRACK':
      if (session.prackHandler?.(request, st) !== true) session.reply(st, 481);
      return;
    default:
      other(session, request, st);
  }
}

/** RFC 3261 §14.2: a re-INVITE, with glare (491) and an INVITE already pending (500 + Retry-After). */
async function reinvite(session: Session, request: SipRequest, st: ServerTransactionHandle): Promise<void> {
  if (session.inviteOut) {
    session.reply(st, 491);
    return;
  }
  const waiting = session.inviteIn;
  if (waiting?.retransmission !== undefined) {
    // Our 2xx still waits for its ACK, yet the peer sends a new INVITE with a higher CSeq in the
    // dialog: it got the 2xx and its ACK was lost. Stop retransmitting and serve the re-INVITE.
    session.core.logger.debug('a re-INVITE before the ACK of our 2xx: taken as its acknowledgement', { callId: session.dialog.id.callId });
    session.handleAck({ ...request, method: 'ACK', headers: { ...request.headers, cseq: { seq: waiting.cseq, method: 'ACK' } }, content: '' });
  }
  if (session.inviteIn !== undefined) {
    session.reply(st, 500, { headers: { 'retry-after': String(Math.floor(session.core.random(0, 10_000) / 1000)) } });
    return;
  }
  const offer = bodyOf(request);
  const refusal = session.timer?.checkRequest(request);
  if (refusal !== undefined) {
    session.reply(st, 422, { headers: refusal });
    return;
  }
  session.inviteIn = { cseq: request.headers.cseq?.seq ?? 0, retransmission: undefined, onAck: () => undefined };
  let body: string | undefined;
  if (offer !== '') {
    try {
      session.sdp.receiveOffer(offer);
    } catch {
      session.inviteIn = undefined;
      session.reply(st, 491);
      return;
    }
    body = await answerOffer(session, offer, request);
    if (body === undefined) {
      session.sdp.rollback();
      session.inviteIn = undefined;
      session.reply(st, 488);
      return;
    }
    session.sdp.sendAnswer(body);
  } else {
    // §14.2 / RFC 3264: no offer in the re-INVITE: the 2xx carries ours, the ACK the answer.
    body = session.sdp.local ?? '';
    if (body !== '') session.sdp.sendOffer(body);
  }
  session.dialog.refreshTarget(request);
  const headers: Headers = { contact: [session.core.contact()], allow: ALLOW, supported: 'timer, 100rel' };
  if (body !== '') headers['content-type'] = 'application/sdp';
  const rs = makeResponse(request, 200, undefined, { toTag: session.dialog.id.localTag, headers, content: body });
  session.timer?.addResponseHeaders(rs, request);
  session.send2xx(
    st,
    rs,
    (ack) => {
      const answer = bodyOf(ack);
      if (session.sdp.state === 'local-offer') {
        if (answer !== '') session.sdp.receiveAnswer(answer);
        else session.sdp.rollback();
      }
      session.fire('sdp', session.sdp.remote, session.sdp.local);
    },
    () => undefined,
  );
  session.timer?.onRefreshRequest(request);
  session.fire('refresh', request);
}

/** RFC 3311 §5.2: UPDATE; an offer while one is outstanding (or an INVITE offer is pending) gets 491. */
async function update(session: Session, request: SipRequest, st: ServerTransactionHandle): Promise<void> {
  const offer = bodyOf(request);
  const refusal = session.timer?.checkRequest(request);
  if (refusal !== undefined) {
    session.reply(st, 422, { headers: refusal });
    return;
  }
  let body: string | undefined;
  if (offer !== '') {
    try {
      session.sdp.receiveOffer(offer);
    } catch {
      session.reply(st, 491);
      return;
    }
    body = await answerOffer(session, offer, request);
    if (body === undefined) {
      session.sdp.rollback();
      session.reply(st, 488);
      return;
    }
    session.sdp.sendAnswer(body);
  }
  session.dialog.refreshTarget(request);
  const headers: Headers = { contact: [session.core.contact()] };
  const rs = makeResponse(request, 200, undefined, { toTag: session.dialog.id.localTag, headers, content: body ?? '' });
  if (body !== undefined && body !== '') rs.headers['content-type'] = 'application/sdp';
  session.timer?.addResponseHeaders(rs, request);
  st.respond(rs).catch((e: unknown) => {
    session.core.logger.info('could not answer an UPDATE', { error: e });
  });
  if (offer !== '') session.fire('sdp', session.sdp.remote, session.sdp.local);
  session.timer?.onRefreshRequest(request);
  session.fire('refresh', request);
}

/** INFO, MESSAGE, NOTIFY, OPTIONS…: the `request` event answers; no listener (or no answer) → 200. */
function other(session: Session, request: SipRequest, st: ServerTransactionHandle): void {
  const state = { answered: false };
  const respond = (status: number, options: { headers?: Headers; body?: string } = {}): void => {
    if (state.answered) return;
    state.answered = true;
    session.reply(st, status, options);
  };
  session.fire('request', request, respond);
  if (!state.answered) respond(200, request.method === 'OPTIONS' ? { headers: { allow: ALLOW } } : {});
}
