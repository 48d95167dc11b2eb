/**
 * A message's raw text split around a byte offset, so the page can mark the byte where the parser
 * stopped. Offsets are in bytes (as `SipParseError.offset` is); the text around them is decoded as
 * UTF-8 (invalid sequences shown as U+FFFD). Pure: no DOM.
 */
import { lineAndColumn } from './inspect.js';

/** The text before, at and after a byte offset, and where that offset is. */
export interface Highlight {
  before: string;
  /** The character at the offset (one UTF-8 sequence), or '' when the offset is the end. */
  at: string;
  after: string;
  /** The offset asked for, clamped to the input. */
  offset: number;
  line: number;
  column: number;
}

const decoder = new TextDecoder();

/** The length of the UTF-8 sequence led by byte `b` (1 for ASCII and for stray bytes). */
function sequenceLength(b: number): number {
  if (b >= 0xf0 && b <= 0xf4) return 4;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  return 1;
}

/**
 * Splits `bytes` around `offset` (clamped to the input).
 * @example highlightAt(bytes, error.offset).at // the offending character
 */
export function highlightAt(bytes: Uint8Array, offset: number): Highlight {
  const clamped = Math.max(0, Math.min(offset, bytes.length));
  // An offset inside a multi-byte character marks the whole character.
  let at = clamped;
  while (at > 0 && clamped - at < 3 && ((bytes[at] ?? 0) & 0xc0) === 0x80) at--;
  if (at < bytes.length && sequenceLength(bytes[at] ?? 0) <= clamped - at) at = clamped;
  const len = at < bytes.length ? Math.min(sequenceLength(bytes[at] ?? 0), bytes.length - at) : 0;
  const { line, column } = lineAndColumn(bytes, at);
  return {
    before: decoder.decode(bytes.subarray(0, at)),
    at: decoder.decode(bytes.subarray(at, at + len)),
    after: decoder.decode(bytes.subarray(at + len)),
    offset: clamped,
    line,
    column,
  };
}

/** A visible name for an invisible character at the highlight (CR, LF, tab, space, end). */
export function describeChar(c: string): string | undefined {
  switch (c) {
    case '':
      return 'end of input';
    case '\r':
      return 'CR';
    case '\n':
      return 'LF';
    case '\t':
      return 'tab';
    case ' ':
      return 'space';
    default: {
      const code = c.codePointAt(0) ?? 0;
      return code < 0x20 || code === 0x7f ? `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
    }
  }
}
