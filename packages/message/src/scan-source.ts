/**
 * The bytes behind the text being parsed, for the scanners that read characters in hot loops:
 * a typed-array read costs about half a `charCodeAt` here (bench/PARSER-BUDGET.md). The parser
 * registers the header text and its codes (one byte per character, 0xff for any non-ASCII one)
 * while it runs; any other string (a public parse function's argument, an unfolded value) gets
 * its codes made on the spot.
 */

const NONE = new Uint8Array(0);

let text = '';
let codes: Uint8Array = NONE;

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
  codes = c;
}

/** Forgets the registered text (the parse is over; its input bytes belong to the caller). */
export function endScan(): void {
  text = '';
  codes = NONE;
}

/** Reused for values unfolded during a parse (see {@link beginAside}). */
let scratch = new Uint8Array(256);

let savedText = '';
let savedCodes: Uint8Array = NONE;

/**
 * Registers `t` (a value unfolded from the text being parsed) in place of that text until
 * {@link endAside}, its codes written into a reused buffer (a new typed array of more than 64 bytes
 * costs V8 an off-heap allocation, microseconds each). Not nested: one value at a time.
 */
export function beginAside(t: string): void {
  savedText = text;
  savedCodes = codes;
  if (scratch.length < t.length) scratch = new Uint8Array(t.length * 2);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    scratch[i] = c < 0x80 ? c : 0xff;
  }
  text = t;
  codes = scratch.subarray(0, t.length);
}

/** Registers the text again after {@link beginAside}. */
export function endAside(): void {
  text = savedText;
  codes = savedCodes;
  savedText = '';
  savedCodes = NONE;
}

/** The codes of `s`: the registered ones when `s` is the text being parsed, else made now. */
export function codesFor(s: string): Uint8Array {
  return s === text ? codes : codesOf(s);
}
