/**
 * Reading and writing the option-tag and number headers the dialog layer uses (Supported, Require,
 * RSeq, RAck, Session-Expires, Min-SE), tolerant of whatever a peer sends.
 * @see RFC 3261 §20.32, §20.37; RFC 3262 §7; RFC 4028 §4, §5
 */
import type { Headers, SipMessage } from '@sipts/message';

/** The header's text (repeated headers joined by `,`), or undefined. */
export function headerText(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  return undefined;
}

/** The comma-separated tokens of a header, lower-cased (Supported, Require, Allow). */
export function tokens(message: SipMessage, name: string): string[] {
  const text = headerText(message.headers, name);
  if (text === undefined) return [];
  return text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** True when the header lists `tag` (case-insensitive). */
export function hasToken(message: SipMessage, name: string, tag: string): boolean {
  return tokens(message, name).includes(tag.toLowerCase());
}

/** Adds `tag` to a comma-separated header unless it is there. */
export function addToken(headers: Headers, name: string, tag: string): void {
  const text = headerText(headers, name);
  if (text === undefined || text.trim() === '') {
    headers[name] = tag;
    return;
  }
  if (!text.split(',').some((t) => t.trim().toLowerCase() === tag)) headers[name] = `${text}, ${tag}`;
}

const DIGITS = /^\s*(\d{1,10})\s*$/;

/** A header holding one decimal number (RSeq, Min-SE), or undefined when absent or malformed. */
export function numberHeader(message: SipMessage, name: string): number | undefined {
  const text = headerText(message.headers, name)?.split(';')[0];
  const m = text === undefined ? null : DIGITS.exec(text);
  if (m?.[1] === undefined) return undefined;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : undefined;
}

/** RFC 3262 §7.2: RAck = response-num CSeq-num method. */
export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** Parses an RAck header; undefined when absent or malformed. */
export function parseRAck(message: SipMessage): RAck | undefined {
  const text = headerText(message.headers, 'rack');
  if (text === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(text);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3].toUpperCase() };
}

/** RFC 4028 §4: Session-Expires = delta-seconds *(;refresher=uac|uas). */
export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | undefined;
}

/** Parses Session-Expires (compact form `x` is expanded by the parser); undefined when absent or malformed. */
export function parseSessionExpires(message: SipMessage): SessionExpires | undefined {
  const text = headerText(message.headers, 'session-expires');
  if (text === undefined) return undefined;
  const [value, ...params] = text.split(';');
  const m = value === undefined ? null : DIGITS.exec(value);
  if (m?.[1] === undefined) return undefined;
  let refresher: 'uac' | 'uas' | undefined;
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim().toLowerCase());
    if (k === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
  }
  return { seconds: Number(m[1]), refresher };
}
