/**
 * @sipts/sip: the classic `sip` package API over the sipts stack. `require('@sipts/sip')` and
 * `import * as sip from '@sipts/sip'` give the same module surface as the classic package: the
 * message helpers, the undocumented exports apps use, `create`, and `start`, after which `send`,
 * `stop`, `encodeFlowUri`, `decodeFlowUri`, `isFlowUri` and `hostname` drive the started stack.
 * @packageDocumentation
 */
import { makeResponse as makeResponseOf, SipError, type ResponseExtension, type SipMessage, type SipRequest, type SipResponse, type SipUri, type Uri } from '@sipts/message';
import type { Flow } from './flow.js';
import { createInstance, type ClassicInstance, type RequestHandler } from './instance.js';
import type { Remote } from './layers.js';
import type { ClassicOptions } from './options.js';
import type { ResponseCallback } from './send-request.js';
import { onSingleton, replaceSingleton } from './singleton.js';

export { stringifyMessage as stringify, parseUri, stringifyUri, copyMessage, makeStreamParser, stringifyAuthHeader } from '@sipts/message';
export type { SipMessage, SipRequest, SipResponse, SipUri, Uri, Via, NameAddr, RouteEntry, Headers, CSeq, AuthHeader, Params } from '@sipts/message';
export type { Remote, Target } from '@sipts/transport';
export { generateBranch } from '@sipts/transport';
export { parse } from './parse.js';
export { parseAOR, type Cursor } from './aor.js';
export { resolve } from './resolve.js';
export { makeTransport, type ClassicConnection, type ClassicTransport } from './make-transport.js';
export { makeTransactionLayer, type ClassicTransactionLayer } from './transaction-layer.js';
export { create, type ClassicInstance, type RequestHandler } from './instance.js';
export type { ClassicOptions, ClassicTlsOptions } from './options.js';
export type { ClassicLogger } from './logger.js';
export type { Flow } from './flow.js';
export type { ResponseCallback } from './send-request.js';

/**
 * Builds a response to `request` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied, the
 * reason defaulting to the standard phrase; `extension` adds headers and content. A numeric
 * string status (`'500'`, as classic code wrote) is accepted.
 * @example sip.send(sip.makeResponse(rq, 302, 'Moved Temporarily', { headers: { contact: [{ uri }] } }))
 * @see RFC 3261 §8.2.6.2
 */
export function makeResponse(request: SipRequest, status: number | string, reason?: string, extension?: ResponseExtension): SipResponse {
  return makeResponseOf(request, typeof status === 'string' ? Number(status) : status, reason, extension);
}

function notStarted(): never {
  throw new SipError('invalid-state', 'call sip.start() first');
}

/** Sends through the started stack (see {@link ClassicInstance.send}). Throws before `start`. */
export let send: (message: SipMessage, callback?: ResponseCallback) => void = notStarted;
/** Stops the started stack, closing every socket and connection. Resolves at once before `start`. */
export let stop: () => Promise<void> = () => Promise.resolve();
/** See {@link ClassicInstance.encodeFlowUri}. Throws before `start`. */
export let encodeFlowUri: (flow: Flow) => SipUri = notStarted;
/** See {@link ClassicInstance.decodeFlowUri}. Throws before `start`. */
export let decodeFlowUri: (uri: string | Uri) => Remote | undefined = notStarted;
/** See {@link ClassicInstance.isFlowUri}. Throws before `start`. */
export let isFlowUri: (uri: string | Uri) => boolean = notStarted;
/** See {@link ClassicInstance.hostname}. Throws before `start`. */
export let hostname: () => string = notStarted;

onSingleton((i: ClassicInstance | undefined) => {
  if (i === undefined) return;
  send = i.send;
  stop = i.destroy;
  encodeFlowUri = i.encodeFlowUri;
  decodeFlowUri = i.decodeFlowUri;
  isFlowUri = i.isFlowUri;
  hostname = i.hostname;
});

/**
 * Starts the module's stack: after it, `send`, `stop`, `encodeFlowUri`, `decodeFlowUri`,
 * `isFlowUri` and `hostname` on this module drive it. A second `start` stops the first stack
 * (closing its sockets) and binds the new one once they are closed. Returns the instance
 * (the classic one returned nothing); binding errors go to `logger.error` and reject `ready`.
 * @example
 * sip.start({ port: 5060 }, (rq) => sip.send(sip.makeResponse(rq, 200)));
 * @see docs/CLASSIC-API.md "Module exports"
 */
export function start(options: ClassicOptions = {}, onRequest?: RequestHandler): ClassicInstance {
  return replaceSingleton((after) => createInstance(options, onRequest, { after }));
}
