/**
 * The ACK an INVITE client transaction sends for a non-2xx final response.
 * @see RFC 3261 §17.1.1.3 (Construction of the ACK Request)
 */
import { copyMessage, SipError, type Headers, type SipRequest, type SipResponse } from '@sipts/message';

/**
 * Builds the ACK for a 300–699 response to an INVITE, per RFC 3261 §17.1.1.3: the INVITE's
 * Request-URI, Call-ID and From; only its top Via (same branch, so the ACK matches the server
 * transaction); the To of the response (with its tag); the INVITE's CSeq number with method ACK;
 * the INVITE's Route headers (so stateless proxies route the ACK as they routed the INVITE);
 * Max-Forwards 70; no body. Every value is a copy: changing the ACK never changes the INVITE.
 * @throws SipError `invalid-argument` if the request has no Via, From, Call-ID or CSeq, or the
 *   response no To.
 * @example
 * const ack = buildAckForNonSuccess(invite, response486);
 * await transport.sendRequest(ack, target); // the same target as the INVITE
 * @see RFC 3261 §17.1.1.3, §8.1.1.6 (Max-Forwards 70)
 */
export function buildAckForNonSuccess(request: SipRequest, response: SipResponse): SipRequest {
  const rq = request.headers;
  const topVia = rq.via?.[0];
  const to = response.headers.to;
  const from = rq.from;
  const callId = rq['call-id'];
  const cseq = rq.cseq;
  if (topVia === undefined || to === undefined || from === undefined || callId === undefined || cseq === undefined) {
    throw new SipError('invalid-argument', 'cannot build an ACK: the INVITE needs Via, From, Call-ID and CSeq, the response a To');
  }
  const headers: Headers = {
    via: [topVia],
    'max-forwards': '70',
    to,
    from,
    'call-id': callId,
    cseq: { seq: cseq.seq, method: 'ACK' },
  };
  if (rq.route !== undefined && rq.route.length > 0) headers.route = rq.route;
  const ack: SipRequest = { method: 'ACK', uri: request.uri, version: request.version ?? '2.0', headers, content: '' };
  return copyMessage(ack, true);
}
