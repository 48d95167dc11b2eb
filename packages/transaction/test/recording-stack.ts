/**
 * A neutral stack on a recording port, for the stack tests that need no sockets: the port records
 * each request, answers every send with the outcome given, and sends no response of its own; a fake
 * clock drives the timers.
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, SendOutcome, Target, TransportHandlers } from '@sipts/transport';
import { createFakeClock } from '../src/fake-clock.js';
import { createStack } from '../src/stack.js';

export const TARGET: Target = { protocol: 'UDP', address: '127.0.0.1', port: 5099 };
export const REMOTE: Remote = { protocol: 'UDP', address: '127.0.0.1', port: 5099, local: { address: '127.0.0.1', port: 5060 } };

/** A stack whose port records each request and answers every send with `outcome`. */
export function stackOn(outcome: () => SendOutcome, resolveNow?: (uri: unknown) => Target[] | undefined) {
  const sent: SipRequest[] = [];
  let handlers: TransportHandlers | undefined;
  const clock = createFakeClock();
  const stack = createStack({
    clock,
    resolve: () => Promise.resolve([TARGET]),
    ...(resolveNow !== undefined ? { resolveNow } : {}),
    transport: (h) => {
      handlers = h;
      return {
        port: {
          sendRequest: (rq) => {
            sent.push(rq);
            return outcome();
          },
          prepareResponse: () => {
            throw new SipError('send-failed', 'this port sends no response', { status: 503 });
          },
          sendResponse: () => 'sent',
        },
        start: () => Promise.resolve(),
        stop: () => Promise.resolve(),
      };
    },
  });
  /** Delivers a response as the transport's receive pipeline would. */
  const receive = (rs: SipResponse): void => {
    handlers?.onResponse(rs, REMOTE);
  };
  return { stack, sent, clock, receive };
}
