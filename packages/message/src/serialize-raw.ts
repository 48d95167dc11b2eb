/**
 * Writing the headers of a parsed message back from the text they arrived as.
 *
 * A header is written as its original lines (name spelling, compact form, folding and spacing
 * included) when the model still holds exactly what those lines say:
 * - a lazily parsed header nobody has read or assigned;
 * - a header kept as text whose value is still the text of its lines (joined with `,`);
 * - Contact, Record-Route, Path and Refer-To whose objects still say what their lines say
 *   (checked field by field, as-parsed.ts);
 * - Content-Length when its one line already states the body's length.
 * Any other header (Via, From, To, CSeq and Route, and anything changed) is written from the model. Runs of consecutive original lines are copied as one slice, so a proxy
 * that changes Via and Max-Forwards forwards everything else as the bytes that came in.
 * @see RFC 3261 §16.6 (a proxy forwards the headers it does not change), §7.3.1 (folding)
 */
import { headerLines } from './header-lines.js';
import { COMPARED, sameAsLines } from './as-parsed.js';
import { NOT_READ, peekHeader } from './lazy-headers.js';
import { lineCount, lineKey, lineStart, valueEnd, valueStart, type RawHeaders } from './raw-headers.js';
import type { Headers } from './types.js';

/** Line numbers found by {@link linesOf}, in line order (reused between calls). */
let found = new Int32Array(64);

/** Finds the lines of `key` into {@link found}, in line order, and returns how many there are. */
function linesOf(raw: RawHeaders, key: string): number {
  const n = lineCount(raw);
  if (found.length < n) found = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (lineKey(raw, i) === key) found[count++] = i;
  return count;
}

/** True when the unfolded lines in `found[0, count)` hold exactly `value` (repeats joined with `,`). */
function sameText(raw: RawHeaders, count: number, value: string): boolean {
  const text = raw.text;
  if (count === 1) {
    const i = found[0] ?? 0;
    const start = valueStart(raw, i);
    const end = valueEnd(raw, i);
    return end - start === value.length && text.startsWith(value, start);
  }
  let pos = 0;
  for (let k = 0; k < count; k++) {
    const i = found[k] ?? 0;
    if (k > 0 && value.charCodeAt(pos++) !== 0x2c) return false;
    const start = valueStart(raw, i);
    const end = valueEnd(raw, i);
    if (end < 0 || pos + end - start > value.length) return false;
    for (let j = start; j < end; j++) if (text.charCodeAt(j) !== value.charCodeAt(pos++)) return false;
  }
  return pos === value.length;
}

/** Value spans of the lines in {@link found}, for {@link sameAsLines} (reused between calls). */
let starts = new Int32Array(64);
let ends = new Int32Array(64);

/**
 * True when header `key` is written from the model whatever its lines say: a structured value
 * the serializer does not compare with its text (Via, From, To, CSeq, Route…). Its lines are then
 * not even looked for.
 */
function modelOnly(key: string, value: unknown): boolean {
  return typeof value === 'object' && value !== null && value !== NOT_READ && key !== 'content-length' && !COMPARED.has(key);
}

/** True when the original lines of `key` (`found[0, count)`) still say what the model `value` holds. */
function untouched(value: unknown, raw: RawHeaders, key: string, count: number, bodyBytes: number): boolean {
  if (count === 0) return false;
  if (key === 'content-length') return sameText(raw, count, String(bodyBytes));
  if (value === NOT_READ) return true;
  if (typeof value === 'string') return sameText(raw, count, value);
  if (!COMPARED.has(key)) return false;
  if (starts.length < count) {
    starts = new Int32Array(count);
    ends = new Int32Array(count);
  }
  for (let k = 0; k < count; k++) {
    const i = found[k] ?? 0;
    starts[k] = valueStart(raw, i);
    ends[k] = valueEnd(raw, i);
  }
  return sameAsLines(key, value, raw.text, starts, ends, count);
}

/**
 * The header lines of `headers` (parsed, with its raw lines `raw`), Content-Length set to
 * `bodyBytes`, each line ending with CRLF; the empty line is not included.
 */
export function headersWithRaw(headers: Headers, raw: RawHeaders, bodyBytes: number): string {
  const text = raw.text;
  let out = '';
  let runStart = -1;
  let runEnd = -1;
  let wroteLength = false;
  for (const key in headers) {
    const value = peekHeader(headers, key);
    const count = modelOnly(key, value) ? 0 : linesOf(raw, key);
    if (untouched(value, raw, key, count, bodyBytes)) {
      for (let k = 0; k < count; k++) {
        const i = found[k] ?? 0;
        const from = lineStart(raw, i);
        if (from !== runEnd) {
          if (runStart !== -1) out += text.slice(runStart, runEnd);
          runStart = from;
        }
        runEnd = lineStart(raw, i + 1);
      }
    } else {
      if (runStart !== -1) out += text.slice(runStart, runEnd);
      runStart = runEnd = -1;
      out += key === 'content-length' ? 'Content-Length: ' + String(bodyBytes) + '\r\n' : headerLines(key, headers[key]);
    }
    if (key === 'content-length') wroteLength = true;
  }
  if (runStart !== -1) out += text.slice(runStart, runEnd);
  if (!wroteLength) out += 'Content-Length: ' + String(bodyBytes) + '\r\n';
  return out;
}
