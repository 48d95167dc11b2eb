/**
 * Why a call did not connect or ended, in plain words for the page.
 * @see RFC 3261 §21 (status codes), §15 (BYE), §9 (CANCEL)
 */
import type { SessionEnd } from '@sipts/dialog';

/**
 * The sentence for a final non-2xx response to our INVITE (from the far end, the server, or made
 * up by the transaction layer: 408 without an answer, 503 when it could not be sent); undefined
 * for 487 (we cancelled it).
 * @example callFailureText(486, 'bob@localhost') // 'bob@localhost is busy.'
 */
export function callFailureText(status: number, who: string): string | undefined {
  if (status === 487) return undefined;
  if (status === 486 || status === 600) return `${who} is busy.`;
  if (status === 603) return `${who} declined the call.`;
  if (status === 480 || status === 410) return `${who} is not signed in right now.`;
  if (status === 404 || status === 604) return `There is no user ${who} on this server.`;
  if (status === 408) return `${who} did not answer.`;
  if (status === 488 || status === 606) return `${who} cannot take this kind of call (no common audio).`;
  if (status === 401 || status === 407 || status === 403) return 'The server does not allow this call.';
  if (status >= 500) return `The server could not connect the call (${String(status)}).`;
  return `The call failed (${String(status)}).`;
}

/**
 * The sentence for a call that was up and ended.
 * @example endText({ reason: 'bye-received' }, 'bob@localhost') // 'bob@localhost hung up.'
 */
export function endText(end: SessionEnd, who: string): string {
  switch (end.reason) {
    case 'bye-received':
      return `${who} hung up.`;
    case 'bye-sent':
      return 'Call ended.';
    case 'session-expired':
    case 'ack-timeout':
    case 'failed':
      return 'The call was lost.';
    case 'stopped':
      return 'Lost the connection to the server.';
  }
}
