/**
 * Building a CANCEL for an INVITE sent by a client transaction.
 * @see RFC 3261 §9.1
 */
import { copyMessage, type Headers, type SipRequest } from '@sipts/message';

/**
 * The CANCEL of `invite` (§9.1): the same Request-URI, Call-ID, To, From and CSeq number, CSeq
 * method CANCEL, a single Via equal to the INVITE's top Via (same branch, so it reaches the same
 * server transaction), the INVITE's Route set, Max-Forwards 70 and no body.
 * @throws SipError never; a malformed `invite` (no Via or CSeq) gives a CANCEL the peer answers 400
 * @example const cancel = makeCancel(inviteTx.request) // send it to inviteTx.target
 * @see RFC 3261 §9.1
 */
export function makeCancel(invite: SipRequest): SipRequest {
  const h = invite.headers;
  const copy = copyMessage(invite, true);
  const headers: Headers = {};
  const via = copy.headers.via?.[0];
  if (via !== undefined) headers.via = [via];
  if (copy.headers.to !== undefined) headers.to = copy.headers.to;
  if (copy.headers.from !== undefined) headers.from = copy.headers.from;
  if (h['call-id'] !== undefined) headers['call-id'] = h['call-id'];
  if (h.cseq !== undefined) headers.cseq = { seq: h.cseq.seq, method: 'CANCEL' };
  if (copy.headers.route !== undefined) headers.route = copy.headers.route;
  headers['max-forwards'] = '70';
  return { method: 'CANCEL', uri: copy.uri, version: invite.version ?? '2.0', headers, content: '' };
}
