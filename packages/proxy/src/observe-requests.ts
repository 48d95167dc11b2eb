/**
 * A view of a {@link ProxyStack} that lets its owner see each new request before the proxy core
 * does (e.g. to read the top Route before the core removes it, RFC 3261 §16.4, or to remember
 * the server transaction, RFC 3261 §8.2.6.2).
 * @see RFC 3261 §16
 */
import type { SipRequest } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import type { Remote } from '@sipts/transport';
import type { ProxyStack } from './types.js';

/**
 * `stack` with its request hook wrapped: `observe` runs before the handler the proxy core
 * registers, for every new request; everything else goes to `stack` unchanged.
 * @example const proxy = createProxy(observeRequests(stack, (rq) => { note(rq); }), options, route)
 * @see RFC 3261 §16.4
 */
export function observeRequests(stack: ProxyStack, observe: (request: SipRequest, st: ServerTransactionHandle, remote: Remote) => void): ProxyStack {
  return {
    send: (rq, o) => stack.send(rq, o),
    sendAck: (rq, o) => stack.sendAck(rq, o),
    setRequestHandler(handler) {
      stack.setRequestHandler((rq, st, remote) => {
        observe(rq, st, remote);
        handler(rq, st, remote);
      });
    },
    sendStateless: (rs, remote) => stack.sendStateless(rs, remote),
    respond: (rs) => stack.respond(rs),
    transport: stack.transport,
  };
}
