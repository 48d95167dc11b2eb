/**
 * Waiting for the final response to a request on a connection written for these tests (the TLS
 * and WebSocket clients): each keeps what it received in a list and wakes its waiters on every
 * message. A response belongs to the request whose branch its top Via carries (RFC 3261 §17.1.3).
 */
import { header, parseWire, type WireMessage } from './wire.js';

/** What a client has received so far, and the callbacks it calls on each new message. */
export interface Inbox<T extends WireMessage> {
  received: T[];
  waiters: Set<() => void>;
}

/** Options of {@link requestFinal}. */
export interface RequestFinalOptions {
  /** Rejects after this long, ms. */
  ms: number;
  /** Also require the response's CSeq to be the request's. */
  sameCSeq?: boolean;
  /** Appended to the timeout error (e.g. what was received instead). */
  detail?: () => string;
}

/** The branch parameter of a message's top Via ('' without one). */
export function topBranch(m: WireMessage): string {
  return /branch=([^;\s,]+)/.exec(header(m, 'via')[0] ?? '')?.[1] ?? '';
}

/**
 * Sends request `text` with `send`, then resolves with the first final response (2xx-6xx) in
 * `inbox.received` whose top Via has the request's branch, checked now and on each message.
 * @throws Error (rejects) when none arrived within `options.ms`
 */
export function requestFinal<T extends WireMessage>(inbox: Inbox<T>, send: (text: string) => void, text: string, options: RequestFinalOptions): Promise<T> {
  const request = parseWire(text);
  const branch = topBranch(request);
  const cseq = header(request, 'cseq')[0];
  const final = () =>
    inbox.received.find((m) => m.status !== undefined && m.status >= 200 && (options.sameCSeq !== true || header(m, 'cseq')[0] === cseq) && (header(m, 'via')[0] ?? '').includes(branch));
  send(text);
  return new Promise<T>((resolve, reject) => {
    const check = () => {
      const f = final();
      if (f) {
        clearTimeout(timer);
        inbox.waiters.delete(check);
        resolve(f);
      }
    };
    const timer = setTimeout(() => {
      inbox.waiters.delete(check);
      reject(new Error(`no final response to ${request.startLine} within ${options.ms} ms${options.detail?.() ?? ''}`));
    }, options.ms);
    inbox.waiters.add(check);
    check();
  });
}
