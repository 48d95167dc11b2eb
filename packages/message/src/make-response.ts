/**
 * Building a response to a request (RFC 3261 §8.2.6.2).
 */
import { copyValue } from './copy-message.js';
import { PlainResponse } from './plain.js';
import { reasonPhrase } from './reason-phrases.js';
import type { Content, Headers, SipRequest, SipResponse } from './types.js';

/** Extra parts of a response built by {@link makeResponse}. */
export interface ResponseExtension {
  /** Headers to add or override (shallow merge). */
  headers?: Headers;
  content?: Content;
  /** A To tag to set when the request's To has none (RFC 3261 §8.2.6.2). */
  toTag?: string;
}

/**
 * Builds a response to `request`: Via, From, To, Call-ID and CSeq are copied (as copies, so a
 * change to the response never changes the request); the reason defaults to the standard phrase.
 * @example const rs = makeResponse(rq, 180, undefined, { toTag: generateTag() })
 * @see RFC 3261 §8.2.6.2
 */
export function makeResponse(request: SipRequest, status: number, reason?: string, extension?: ResponseExtension): SipResponse {
  const rq = request.headers;
  const headers: Headers = {};
  if (rq.via !== undefined) headers.via = copyValue(rq.via);
  if (rq.to !== undefined) headers.to = copyValue(rq.to);
  if (rq.from !== undefined) headers.from = copyValue(rq.from);
  if (rq['call-id'] !== undefined) headers['call-id'] = rq['call-id'];
  if (rq.cseq !== undefined) headers.cseq = copyValue(rq.cseq);
  const tag = extension?.toTag;
  if (tag !== undefined && headers.to !== undefined && (headers.to.params.tag === undefined || headers.to.params.tag === null)) {
    headers.to.params.tag = tag;
  }
  if (extension?.headers !== undefined) Object.assign(headers, extension.headers);
  return new PlainResponse(status, reason ?? reasonPhrase(status), request.version ?? '2.0', headers, extension?.content ?? '');
}
