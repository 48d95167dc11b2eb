/**
 * The one way the layers call a user's callback: a throw is logged and goes no further, so an
 * application bug never breaks a state machine, a socket callback or the process.
 */
import type { Logger } from './types.js';

/** A name for the log line `<what> threw`, with attributes that say where (a flow, a branch). */
export interface NamedCallSite {
  readonly what: string;
  readonly attrs?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What is being called: a name, a name with attributes, or a function that makes them, called
 * only when the callback throws (for a site whose name or attributes cost something to build).
 */
export type CallSite = string | NamedCallSite | (() => NamedCallSite);

/**
 * Calls `fn` (a user's callback) and returns what it returns; if it throws, logs
 * `<what> threw` at error level with the error and returns `undefined`.
 * @example safely(logger, 'onRequest', () => { handler(rq, remote); })
 * @example const keep = safely(logger, { what: 'onOpen', attrs: { flowId } }, () => events.onOpen(conn)) === true
 * @example safely(logger, () => ({ what: `the ${who} user's onTimeout`, attrs: { branch } }), () => { user.onTimeout(); })
 */
export function safely<T>(logger: Logger, site: CallSite, fn: () => T): T | undefined;
/**
 * The same, calling `fn(a, b)`: a hot caller passes a function made once and its arguments
 * instead of a new closure per call (the UDP receive path, one call per datagram).
 * @example safely(logger, 'UDP message handler', receive, msg, remote)
 */
export function safely<A, B, T>(logger: Logger, site: CallSite, fn: (a: A, b: B) => T, a: A, b: B): T | undefined;
export function safely<A, B, T>(logger: Logger, site: CallSite, fn: (a?: A, b?: B) => T, a?: A, b?: B): T | undefined {
  try {
    return fn(a, b);
  } catch (error) {
    if (typeof site === 'string') {
      logger.error(`${site} threw`, { error });
      return undefined;
    }
    const named = typeof site === 'function' ? site() : site;
    logger.error(`${named.what} threw`, { ...named.attrs, error });
    return undefined;
  }
}
