/**
 * The bytes behind the text being parsed, for the scanners that read characters in hot loops:
 * a typed-array read costs about half a `charCodeAt` here (bench/PARSER-BUDGET.md). The parser
 * registers the header text and its codes (one byte per character, 0xff for any non-ASCII one)
 * while it runs; any other string (a public parse function's argument, an unfolded value) gets
 * its codes made on the spot. A folded value is parsed in place, with codes that read its folds as SP.
 */

import { asciiBytes } from './text.js';

const NONE = new Uint8Array(0);

let text = '';
let codes: Uint8Array = NONE;
/** The codes registered with the text (while {@link beginFolded} has put others in their place). */
let own: Uint8Array = NONE;

/** One byte per character of `s`: its code, or 0xff for a non-ASCII character. */
export function codesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0xff;
  }
  return out;
}

/** Registers `t` and its codes `c` (aligned one to one) for the scanners; cleared by {@link endScan}. */
export function beginScan(t: string, c: Uint8Array): void {
  text = t;
  codes = own = c;
}

/** Forgets the registered text (the parse is over; its input bytes belong to the caller). */
export function endScan(): void {
  text = '';
  codes = own = copied = NONE;
  folded = false;
}

/**
 * The registered codes with the folds of the values parsed so far read as SP (see
 * {@link beginFolded}); reused from parse to parse, as long as the longest input with a fold.
 */
let scratch: Uint8Array = NONE;

/** The codes {@link scratch} was copied from in this parse ({@link NONE} until its first fold). */
let copied: Uint8Array = NONE;

/**
 * True while a folded value is parsed in place: its codes are then a copy in which the CR and LF
 * of each fold read as SP (a fold is LWS, RFC 3261 §7.3.1), and {@link cut} unfolds what it slices.
 */
let folded = false;

/**
 * Registers, for the value `text[start, end)` of the registered text, codes in which the CR and LF
 * of each fold read as SP, at the same offsets, so the scanners parse the value in place: a copy
 * of the text's codes, made at the first fold of a parse (one copy of the whole input costs less
 * than a copy per value). Not nested; {@link endFolded} (or {@link endScan}) restores the codes.
 */
export function beginFolded(start: number, end: number): void {
  if (copied !== own) {
    if (scratch.length < own.length) scratch = new Uint8Array(own.length);
    scratch.set(own);
    copied = own;
  }
  // Each LF inside the value ends a line, after its CR (the line loop checked).
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) scratch[i - 1] = scratch[i] = 0x20;
  codes = scratch;
  folded = true;
}

/** Registers the text's own codes again after {@link beginFolded}. */
export function endFolded(): void {
  codes = own;
  folded = false;
}

/** `s[start, end)` with each fold (CRLF and the whitespace after it) replaced by one SP. */
export function joinFolds(s: string, start: number, end: number): string {
  const v = s.slice(start, end);
  return v.indexOf('\r') < 0 ? v : v.replace(/\r\n[ \t]*/g, ' ');
}

/**
 * `s[start, end)` as the value reads: a slice, unfolded while a folded value is parsed in place
 * (for what may hold whitespace: quoted strings, display names).
 */
export function cut(s: string, start: number, end: number): string {
  return folded ? joinFolds(s, start, end) : s.slice(start, end);
}

/**
 * The codes of `s`: the registered ones when `s` is the text being parsed, else made now; for an
 * ASCII string they are its bytes in a buffer reused from call to call (text.ts), which is safe
 * because a scanner never asks for another string's codes while it reads one.
 */
export function codesFor(s: string): Uint8Array {
  return s === text ? codes : (asciiBytes(s) ?? codesOf(s));
}
