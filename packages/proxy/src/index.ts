/**
 * @sipts/proxy: an RFC 3261 §16 proxy core (validation, routing, Record-Route, forking,
 * best-response selection, Timer C, stateless mode) on any `@sipts/transaction` stack.
 * `@sipts/proxy/node` adds `createProxyStack` and the classic `start/send/stop`.
 * @packageDocumentation
 */
export type { ForwardTarget, Proxy, ProxyOptions, ProxySendOptions, ProxyStack, ProxyRequestHandler, ResponseCallback } from './types.js';
export { createProxy } from './proxy.js';
export { observeRequests } from './observe-requests.js';
export { chooseBest } from './best-response.js';
export { validateRequest, maxForwards, optionTags, type Rejection, type ValidationContext } from './validate.js';
export { processRoutes } from './route.js';
export { OwnAddresses, type Listening } from './addresses.js';
