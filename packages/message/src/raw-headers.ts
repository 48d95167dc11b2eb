/**
 * The header lines of a parsed message as they arrived: the text they were read from and, per
 * line, its key and where its name and value lie. Kept (non-enumerable) on the `headers` object so
 * that lazily parsed headers can be parsed on first read and untouched headers can be written back
 * as their original text (RFC 3261 §16.6: a proxy forwards what it does not change).
 */
import { joinFolds } from './scan-source.js';
import { encodeUtf8 } from './text.js';
import type { HeaderValue, Headers } from './types.js';

/** The lines of one parsed header section. */
export interface RawHeaders {
  /** The text the lines were read from (the whole message for ASCII input). */
  readonly text: string;
  /** Where the first header line starts. */
  readonly start: number;
  /**
   * Four entries per header line, in order: its key (lower-case full name), where the line starts,
   * where its value starts, where its value ends (trailing whitespace excluded; stored as
   * `-(end + 1)` when the value is folded). A line ends with CRLF where the next one starts (or at
   * {@link end} for the last). Read from what the parser recorded (see {@link recordLine}); set
   * only for a section read again after another parse, so a parse allocates none of it.
   */
  lines?: (string | number)[];
  /** Where the empty line that ends the header section starts. */
  readonly end: number;
  /** Byte offset of `text[0]` in the message, and whether `text` is all ASCII (chars = bytes). */
  readonly base: number;
  readonly ascii: boolean;
  /**
   * The lazily parsed header lines, three entries each: key, value start, value end (`-(end + 1)`
   * when folded). Recorded by the parser (a few lines at most), so a first read parses at once.
   */
  readonly lazy: readonly (string | number)[] | undefined;
  /** Lazily parsed headers that were read: their parsed values (see lazy-headers.ts). */
  parsed?: Record<string, HeaderValue>;
}

/** A base "class" whose constructor returns the object it is given, so a subclass can stamp it. */
const Identity = function (o: object) {
  return o;
} as unknown as new (o: object) => object;

/**
 * Keeps the raw lines on a headers object as a private field: invisible to `Object.keys`,
 * `for…in`, spreading, `JSON.stringify`, `structuredClone`, symbol listings and deep equality, and
 * added with an ordinary (inline-cached) store, where `Object.defineProperty` of a hidden property
 * costs a runtime call on every message.
 */
class RawStamp extends Identity {
  #raw: RawHeaders;

  constructor(headers: Headers, raw: RawHeaders) {
    super(headers);
    this.#raw = raw;
  }

  static read(headers: object): RawHeaders | undefined {
    return #raw in headers ? headers.#raw : undefined;
  }
}

/** Attaches the raw lines to a parsed `headers` object (once per object). */
export function attachRaw(headers: Headers, raw: RawHeaders): void {
  new RawStamp(headers, raw);
}

/** The raw lines of a parsed `headers` object, if it has them. */
export function rawOf(headers: Headers): RawHeaders | undefined {
  return RawStamp.read(headers);
}

/** Byte offset in the message of `charOffset` in `raw.text`. */
export function byteOffsetIn(raw: Pick<RawHeaders, 'text' | 'base' | 'ascii'>, charOffset: number): number {
  return raw.base + (raw.ascii ? charOffset : encodeUtf8(raw.text.slice(0, charOffset)).length);
}

/**
 * The value `text[start, end)` with each fold (CRLF and the whitespace after it) replaced by one
 * SP, and with whitespace trimmed at both ends (RFC 3261 §7.3.1).
 */
export function unfold(text: string, start: number, end: number): string {
  return joinFolds(text, start, end).replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * The lines of the last header section parsed, in the format of {@link RawHeaders.lines} (the
 * first {@link recordedCount} entries), written by the parser as it goes and good for the raw
 * headers {@link recordedFor} only. A proxy serializes what it parsed before it parses anything
 * else (the forward runs inside the receive callback), so its serializer reads the lines from here,
 * copying nothing; any other message has its lines read again by the parser's line loop
 * ({@link rescan}) and kept. Entries past the count are left from earlier sections: the array is
 * reused, never shortened (shortening would free its storage).
 */
const recorded: (string | number)[] = [];
let recordedCount = 0;
let recordedFor: RawHeaders | undefined;

/** Starts recording a new header section (forgets the previous one). */
export function beginLines(): void {
  recordedCount = 0;
  recordedFor = undefined;
}

/** Records the next line of the section being parsed. */
export function recordLine(key: string, start: number, valueStart: number, valueEnd: number): void {
  const at = recordedCount;
  recorded[at] = key;
  recorded[at + 1] = start;
  recorded[at + 2] = valueStart;
  recorded[at + 3] = valueEnd;
  recordedCount = at + 4;
}

/** The section recorded since {@link beginLines} is the one of `raw` (its parse succeeded). */
export function endLines(raw: RawHeaders): void {
  recordedFor = raw;
}

/** Re-reads the lines of a section parsed earlier into the record (the parser's line loop, set by parse-message.ts). */
let rescan: (raw: RawHeaders) => void = () => undefined;

/** Sets {@link rescan} (parse-message.ts does, so this module needs no import of the parser). */
export function setRescan(fn: (raw: RawHeaders) => void): void {
  rescan = fn;
}

/** The line table of `raw`: its own, or the record while it is the section parsed last. */
function linesOf(raw: RawHeaders): (string | number)[] {
  if (raw.lines !== undefined) return raw.lines;
  if (raw === recordedFor) return recorded;
  rescan(raw);
  return (raw.lines = recorded.slice(0, recordedCount));
}

/** The number of header lines. */
export function lineCount(raw: RawHeaders): number {
  const lines = linesOf(raw);
  return (lines === recorded ? recordedCount : lines.length) / 4;
}

/** The key of line `i`. */
export function lineKey(raw: RawHeaders, i: number): string {
  return linesOf(raw)[4 * i] as string;
}

/** Where line `i` starts (`raw.end` past the last line). */
export function lineStart(raw: RawHeaders, i: number): number {
  return i < lineCount(raw) ? (linesOf(raw)[4 * i + 1] as number) : raw.end;
}

/** Where the value of line `i` starts. */
export function valueStart(raw: RawHeaders, i: number): number {
  return linesOf(raw)[4 * i + 2] as number;
}

/** Where the value of line `i` ends, or -1 when the value is folded. */
export function valueEnd(raw: RawHeaders, i: number): number {
  const end = linesOf(raw)[4 * i + 3] as number;
  return end < 0 ? -1 : end;
}
