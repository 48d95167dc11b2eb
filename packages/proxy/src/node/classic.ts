/**
 * The classic `sip/proxy` module API: `start(options, route)`, `send(message, callback?)` and
 * a `stop()` that works. A thin module-level wrapper over one {@link createProxyStack} instance
 * (the one singleton the classic contract demands).
 * @see RFC 3261 §16
 */
import { SipError, type SipMessage } from '@sipts/message';
import type { ProxySendOptions, ProxyRequestHandler, ResponseCallback } from '../types.js';
import { createProxyStack, type ProxyStackInstance, type ProxyStackOptions } from './proxy-stack.js';

let current: ProxyStackInstance | undefined;

/**
 * Starts the module's proxy and its stack; `route` gets a copy of each incoming request.
 * @throws SipError `invalid-state` when already started; `bind-failed` (rejection) when a socket cannot be bound
 * @example await start({ udp: { port: 5060 } }, (rq) => send(rq))
 */
export async function start(options: ProxyStackOptions, route: ProxyRequestHandler): Promise<void> {
  if (current !== undefined) throw new SipError('invalid-state', 'the proxy is already started');
  const instance = createProxyStack(options, route);
  current = instance;
  try {
    await instance.start();
  } catch (e) {
    if (current === instance) current = undefined;
    await instance.stop();
    throw e;
  }
}

/**
 * Responds to, or forwards in the context of, an incoming request. Without a callback the proxy
 * selects the best response and forwards it upstream with its top Via removed (the classic
 * `defaultProxyCallback`, plus RFC 3261 §16.7).
 * @throws SipError `invalid-state` before `start`
 * @example send(makeResponse(rq, 404))
 */
export function send(message: SipMessage, callback?: ResponseCallback | ProxySendOptions): void {
  if (current === undefined) throw new SipError('invalid-state', 'the proxy is not started');
  current.proxy.send(message, callback);
}

/** Stops the proxy and its stack (unlike the classic module's, which was always undefined). */
export async function stop(): Promise<void> {
  const instance = current;
  current = undefined;
  await instance?.stop();
}

/** Live contexts of the module's proxy (0 when stopped). */
export function contexts(): number {
  return current?.proxy.contexts ?? 0;
}
