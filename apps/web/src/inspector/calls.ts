/**
 * Messages grouped into calls (by Call-ID, RFC 3261 §8.1.1.4) and, within a call, into
 * transactions (top Via branch and CSeq method, RFC 3261 §17.1.3, §17.2.3); each call's final
 * state; retransmissions marked. Pure: no DOM.
 */
import type { MessageRecord } from './capture-record.js';

/** How a call ended. */
export type CallState = 'answered' | 'busy' | 'cancelled' | 'failed' | 'completed' | 'no-final-response' | 'invalid';

/** One Call-ID's messages and what became of them. */
export interface Call {
  /** Position in the call list, from 0. */
  index: number;
  callId: string;
  /** The method of the call's first request (INVITE, REGISTER, …), or `?` when none was seen. */
  method: string;
  /** Indices of the call's messages, in capture order. */
  messages: number[];
  from: string;
  to: string;
  /** Time of the first and the last message (ms since the epoch). */
  start: number;
  end: number;
  state: CallState;
  /** The final status that decided the state (the failure's code, 200 for answered). */
  code?: number;
  /** Transaction keys, in order of their first message. */
  transactions: string[];
}

/**
 * The transaction a message belongs to: its top Via branch and CSeq method, with an ACK counted
 * in its INVITE's transaction (a 2xx's ACK has a branch of its own, and so a key of its own).
 * @see RFC 3261 §17.2.3
 */
export function transactionKey(r: MessageRecord): string {
  const method = r.cseqMethod === 'ACK' ? 'INVITE' : (r.cseqMethod ?? '?');
  return `${r.branch ?? '?'} ${method}`;
}

/**
 * Marks each message that repeats an earlier one on the same path: same source and destination,
 * start line, CSeq, top Via branch and To tag (what a UAC's timer A or a UAS's timer G resends).
 * @see RFC 3261 §17.1.1.2, §17.2.1
 */
export function retransmissions(records: readonly MessageRecord[]): boolean[] {
  const seen = new Set<string>();
  return records.map((r) => {
    if (!r.ok) return false;
    const key = `${r.src}>${r.dst}|${r.title}|${r.cseq ?? ''} ${r.cseqMethod ?? ''}|${r.branch ?? ''}|${r.toTag ?? ''}|${r.callId ?? ''}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
}

const BUSY = new Set([486, 600]);

/** The state of a call from its messages (see the README for the rules). */
export function callState(records: readonly MessageRecord[]): { state: CallState; code?: number } {
  const first = records.find((r) => r.method !== undefined);
  if (first?.method === undefined) return { state: records.some((r) => r.ok) ? 'no-final-response' : 'invalid' };
  const method = first.method;
  const finals = records.filter((r) => r.status !== undefined && r.status >= 200 && r.cseqMethod === method);
  const last = finals.at(-1);
  if (method !== 'INVITE') {
    if (last?.status === undefined) return { state: 'no-final-response' };
    return { state: last.status < 300 ? 'completed' : 'failed', code: last.status };
  }
  const answered = finals.find((r) => r.status !== undefined && r.status < 300);
  if (answered?.status !== undefined) return { state: 'answered', code: answered.status };
  if (records.some((r) => r.method === 'CANCEL') || finals.some((r) => r.status === 487)) return { state: 'cancelled', code: 487 };
  if (last?.status === undefined) return { state: 'no-final-response' };
  if (BUSY.has(last.status)) return { state: 'busy', code: last.status };
  return { state: 'failed', code: last.status };
}

/**
 * Groups messages by Call-ID, in order of each call's first message. Messages without a Call-ID
 * (unparsable ones) form one call each, under the id `(invalid message N)`.
 * @example groupCalls(records).map((c) => `${c.from} → ${c.to}: ${c.state}`)
 */
export function groupCalls(records: readonly MessageRecord[]): Call[] {
  const byId = new Map<string, MessageRecord[]>();
  for (const r of records) {
    const id = r.callId ?? `(invalid message ${r.index + 1})`;
    let list = byId.get(id);
    if (list === undefined) byId.set(id, (list = []));
    list.push(r);
  }
  const calls: Call[] = [];
  for (const [callId, list] of byId) {
    const first = list.find((r) => r.method !== undefined) ?? list[0];
    const transactions: string[] = [];
    const seen = new Set<string>();
    for (const r of list) {
      const key = transactionKey(r);
      if (!seen.has(key)) transactions.push(key);
      seen.add(key);
    }
    const { state, code } = callState(list);
    const call: Call = {
      index: calls.length,
      callId,
      method: first?.method ?? first?.cseqMethod ?? '?',
      messages: list.map((r) => r.index),
      from: first?.from ?? '',
      to: first?.to ?? '',
      start: list.reduce((t, r) => Math.min(t, r.time), Infinity),
      end: list.reduce((t, r) => Math.max(t, r.time), -Infinity),
      state,
      transactions,
    };
    if (code !== undefined) call.code = code;
    calls.push(call);
  }
  return calls;
}

/** `answered`, `busy (486)`, `failed (503)`… as the call list shows it. */
export function stateText(call: Pick<Call, 'state' | 'code'>): string {
  switch (call.state) {
    case 'answered':
    case 'cancelled':
      return call.state;
    case 'busy':
    case 'failed':
    case 'completed':
      return `${call.state} (${call.code ?? '?'})`;
    case 'no-final-response':
      return 'no final response';
    case 'invalid':
      return 'invalid messages';
  }
}
