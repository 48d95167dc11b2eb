/**
 * The capture filters: method, status class, Call-ID, address and free text, all of which a
 * message must match. Pure: no DOM.
 */
import type { MessageRecord } from './capture-record.js';

/** What the user asked for; an empty or absent field matches everything. */
export interface MessageFilter {
  /** A request method (`INVITE`), matching requests of that method and responses to it (CSeq). */
  method?: string;
  /** 1–6: responses of that class only. */
  statusClass?: number;
  /** A part of the Call-ID (case-sensitive, as Call-IDs compare). */
  callId?: string;
  /** A part of the source or destination `host:port`. */
  address?: string;
  /** A part of the message's text, case-insensitive. */
  text?: string;
}

/** True when no field of the filter is set. */
export function isEmptyFilter(f: MessageFilter): boolean {
  return !f.method && f.statusClass === undefined && !f.callId && !f.address && !f.text;
}

/**
 * True when `r` matches every field of `f`; `textOf` gives the message's text in lower case
 * (only called when `f.text` is set, so that the bytes are decoded only when needed).
 * @example records.filter((r) => matchesFilter(r, { method: 'INVITE' }, text))
 */
export function matchesFilter(r: MessageRecord, f: MessageFilter, textOf: (r: MessageRecord) => string): boolean {
  if (f.method && r.method !== f.method && r.cseqMethod !== f.method) return false;
  if (f.statusClass !== undefined && (r.status === undefined || Math.floor(r.status / 100) !== f.statusClass)) return false;
  if (f.callId && !(r.callId ?? '').includes(f.callId)) return false;
  if (f.address && !r.src.includes(f.address) && !r.dst.includes(f.address)) return false;
  if (f.text && !textOf(r).includes(f.text.toLowerCase())) return false;
  return true;
}
