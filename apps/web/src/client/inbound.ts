/**
 * Requests outside a dialog the server delivers to the browser, other than INVITE (the dialog
 * layer takes those: see call-core.ts): MESSAGE (answered 200, or 415 for a body that is not
 * text), OPTIONS (200), anything else 405.
 * @see RFC 3428 §7 (UAS behaviour), RFC 3261 §11.2 (OPTIONS), §8.2.1 (405 with Allow)
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import type { ServerTransactionHandle } from '@sipts/transaction';

/** A chat message received. */
export interface IncomingMessage {
  /** The sender's URI (From), e.g. `sip:bob@localhost`. */
  from: string;
  /** The sender's display name, if any (quotes removed). */
  fromName: string | undefined;
  text: string;
  /** Wall-clock time of arrival, ms since the epoch. */
  at: number;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE';
const ACCEPT = 'text/plain';

function isText(contentType: unknown): boolean {
  if (contentType === undefined) return true;
  if (typeof contentType !== 'string') return false;
  return /^\s*text\/plain\s*(;|$)/i.test(contentType);
}

/**
 * Answers `request` through `st`; returns the chat message to show when it was one.
 * @example const m = answerIncoming(rq, st, Date.now()); if (m) show(m);
 */
export function answerIncoming(request: SipRequest, st: ServerTransactionHandle, now: number): IncomingMessage | undefined {
  const reply = (status: number, headers?: Record<string, string>): void => {
    const rs = makeResponse(request, status, undefined, headers === undefined ? { toTag: generateTag() } : { toTag: generateTag(), headers });
    st.respond(rs).catch(() => undefined);
  };
  if (request.method === 'OPTIONS') {
    reply(200, { allow: ALLOW, accept: ACCEPT });
    return undefined;
  }
  if (request.method !== 'MESSAGE') {
    reply(405, { allow: ALLOW });
    return undefined;
  }
  if (!isText(request.headers['content-type'])) {
    reply(415, { accept: ACCEPT });
    return undefined;
  }
  const content = request.content;
  const text = typeof content === 'string' ? content : content === undefined ? '' : new TextDecoder('utf-8', { fatal: false }).decode(content);
  reply(200);
  const from = request.headers.from;
  let fromName = typeof from?.name === 'string' ? from.name.replace(/^"(.*)"$/, '$1') : undefined;
  if (fromName === '') fromName = undefined;
  return { from: from?.uri ?? 'unknown', fromName, text, at: now };
}
