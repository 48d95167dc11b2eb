/**
 * Constructors of the plain objects a parse makes that hold other objects or slices of the message
 * text (messages, headers, Via and name-addr values): each object's prototype is `Object.prototype`,
 * as for `{}`, so every observer sees plain data, but it is made by `new`, not by a literal.
 *
 * Why: V8 tracks where each object or array literal allocates, and when most objects of one literal
 * live through a young collection it allocates that literal's objects in the old generation from
 * then on ("pretenuring"). A server hits this at start-up, when every message is still in flight
 * at the first collections. The decision stays. An old message that dies is only found at the next
 * full collection, and until then everything it points to (its headers, their values, the strings
 * of its text) survives each young collection and is copied twice. Seen in a proxy: about 1.6 KB per
 * proxied request copied by every scavenge, until the parse results were made this way
 * (bench/BUDGET.md, seventh pass). Objects made by `new` are never pretenured.
 *
 * Each kind has its own constructor, so V8 sizes each kind's objects for that kind (in-object slack
 * tracking). An empty literal (`{}`, a parameter object) is never pretenured, and once its container
 * is not, it is not allocated with one either.
 */
import type { Content, Headers, NameAddr, Params, SipRequest, SipResponse, Via } from './types.js';

/** Makes `init` a constructor of plain objects (`Object.prototype` as their prototype). */
function plain<A extends unknown[], T>(init: (this: T, ...args: A) => void): new (...args: A) => T {
  (init as unknown as { prototype: object }).prototype = Object.prototype;
  return init as unknown as new (...args: A) => T;
}

/** An empty `headers` object. */
export const PlainHeaders = plain(function (this: Headers) {
  // The parser adds the headers.
});

/** A parsed Via value. */
export const PlainVia = plain(function (this: Via, version: string, protocol: string, host: string, port: number | undefined, params: Params) {
  this.version = version;
  this.protocol = protocol;
  this.host = host;
  this.port = port;
  this.params = params;
});

/** A parsed name-addr (From, To, Contact, Refer-To). */
export const PlainNameAddr = plain(function (this: NameAddr, name: string | undefined, uri: string, params: Params) {
  this.name = name;
  this.uri = uri;
  this.params = params;
});

/** A parsed request, before its headers and body are added. */
export const PlainRequest = plain(function (this: SipRequest, method: string, uri: string, headers: Headers) {
  this.method = method;
  this.uri = uri;
  this.version = '2.0';
  this.headers = headers;
  this.content = '';
});

/** A parsed response, before its headers and body are added. */
export const PlainResponse = plain(function (this: SipResponse, status: number, reason: string, version: string, headers: Headers, content: Content) {
  this.status = status;
  this.reason = reason;
  this.version = version;
  this.headers = headers;
  this.content = content;
});
