/**
 * Responses the transaction layer makes up for its users when no real one can come.
 * @see RFC 3261 §8.1.3.1, §9.1, §17.1.1.2, RFC 5626 §5.3
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';

/**
 * A response the layer makes up for its user: 408 Request Timeout (Timer B or F, §17.1.1.2,
 * §17.1.2.2), 503 Service Unavailable (transport error, §8.1.3.1), 430 Flow Failed (the transport
 * error was the request's flow closing, RFC 5626 §5.3), 487 Request Terminated (a cancelled INVITE
 * that got no final, §9.1). Built from the request, so it carries its top Via; a request without a
 * To tag gets one in the response (§8.2.6.2), so that a proxy forwarding it upstream (§16.7)
 * sends a response like every other. The reason phrase is the message package's standard one
 * (`reasonPhrase` of @sipts/message), the same table every other response uses.
 * @example synthesize(tx.request, 408) // { status: 408, reason: 'Request Timeout', … }
 * @see RFC 3261 §8.1.3.1, §8.2.6.2, §16.7, §17.1.1.2, RFC 5626 §5.3
 */
export function synthesize(request: SipRequest, status: 408 | 430 | 487 | 503): SipResponse {
  const tagged = typeof request.headers.to?.params.tag === 'string';
  return makeResponse(request, status, undefined, tagged ? undefined : { toTag: generateTag() });
}
