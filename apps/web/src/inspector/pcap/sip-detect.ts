/**
 * Is this payload SIP? Decided by content, not by port: the first line must be a SIP request or
 * status line (RFC 3261 §7.1, §7.2). Pure.
 */
import { looksLikeStartLine } from '../capture.js';

const LF = 0x0a;
/** How far the first line may run. */
const MAX_START_LINE = 2048;

/** True when `bytes` begins with a line that looks like a SIP start line. */
export function startsWithSipLine(bytes: Uint8Array): boolean {
  const lf = bytes.subarray(0, MAX_START_LINE + 1).indexOf(LF);
  return lf !== -1 && looksLikeStartLine(bytes, 0, lf + 1);
}

/** True while `bytes` could still become a first line (no LF yet, and not too long). */
export function firstLineIncomplete(bytes: Uint8Array): boolean {
  return bytes.length <= MAX_START_LINE && bytes.indexOf(LF) === -1;
}

/** True for what is only CRLFs (keep-alives, RFC 5626 §4.4.1) or empty. */
export function isKeepAlive(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x0d && b !== LF) return false;
  return true;
}
