/**
 * The one way the layers call a user's callback: a throw is logged and goes no further, so an
 * application bug never breaks a state machine, a socket callback or the process.
 */
import type { Logger } from './types.js';

/**
 * What is being called, for the log line `<what> threw`: a name, or a name with attributes that
 * say where (a flow, a branch). Give the attributed form once per owner (a connection, a
 * transaction), not per call.
 */
export type CallSite = string | { readonly what: string; readonly attrs: Readonly<Record<string, unknown>> };

/**
 * Calls `fn` (a user's callback) and returns what it returns; if it throws, logs
 * `<what> threw` at error level with the error and returns `undefined`.
 * @example safely(logger, 'onRequest', () => { handler(rq, remote); })
 * @example const keep = safely(logger, { what: 'onOpen', attrs: { flowId } }, () => events.onOpen(conn)) === true
 */
export function safely<T>(logger: Logger, site: CallSite, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (typeof site === 'string') logger.error(`${site} threw`, { error });
    else logger.error(`${site.what} threw`, { ...site.attrs, error });
    return undefined;
  }
}
