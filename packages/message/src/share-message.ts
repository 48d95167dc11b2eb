/**
 * A cheap copy of a message for forwarding: a new message and headers object that share the
 * header values of the original, keep its raw lines and leave its unread lazy headers unread.
 * @see RFC 3261 §16.6 (a proxy copies the request and changes only what it must)
 */
import { deferHeader, NOT_READ, peekHeader } from './lazy-headers.js';
import { attachRaw, rawOf } from './raw-headers.js';
import type { Headers, SipMessage } from './types.js';

/**
 * A copy of `message` for forwarding: a new message object and a new `headers` object whose
 * values are the original's (shared, not copied), with new `via` and `route` arrays (they are
 * the ones a proxy or a UA unshifts and shifts in place). A parsed message's copy keeps its raw
 * lines, so the serializer still writes every header nobody changed as the bytes that arrived,
 * and a lazy header not read yet stays unread (it is parsed once, for every copy, on the first
 * read of any). Replace a header's value to change it in one copy; changing a shared object in
 * place (`headers.to.params.x = …`) changes it in every copy.
 *
 * Compare {@link copyMessage}: its shallow copy parses every lazy header and loses the raw lines
 * (the model is written out), its deep copy also copies every value.
 * @example
 * const out = shareMessage(rq);
 * out.headers['max-forwards'] = String(mf - 1);
 * out.headers.via = [myVia, ...(out.headers.via ?? [])];
 * @see RFC 3261 §16.6 items 1–8
 */
export function shareMessage<M extends SipMessage>(message: M): M {
  const source = message.headers;
  const headers: Headers = {};
  const raw = rawOf(source);
  if (raw !== undefined) attachRaw(headers, raw);
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const value = raw === undefined ? source[key] : peekHeader(source, key);
    if (value === NOT_READ) deferHeader(headers, key);
    else if (key === '__proto__') Object.defineProperty(headers, key, { value, writable: true, enumerable: true, configurable: true });
    else headers[key] = value;
  }
  const via = headers.via;
  if (Array.isArray(via)) headers.via = via.slice();
  const route = headers.route;
  if (Array.isArray(route)) headers.route = route.slice();
  return { ...message, headers };
}
