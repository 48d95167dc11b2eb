/**
 * "Still as parsed": does a name-addr header of the model (Contact, Record-Route, Path, Refer-To)
 * still hold exactly what its original lines say?
 *
 * Their objects can be changed in place (`contact[0].params.expires = …`) without the parser seeing
 * it, so the serializer asks before it copies their lines: the original text is walked once,
 * field by field, against the model, building no strings. Any difference, and anything this walk
 * does not recognise (a folded line, a parameter given as a number, an extra parameter), answers
 * `false`, and the header is written from the model. So the original text is written back only
 * when parsing it gives exactly the model again, which keeps `parse(stringifyMessage(m))` equal to `m`.
 * @see RFC 3261 §16.6 (a proxy forwards the headers it does not change), §25.1 (the grammar walked)
 */
import type { NameAddr, Params, RouteEntry } from './types.js';
import { stringifyUri } from './uri.js';
import { skipWsp } from './chars.js';

/** Where the last successful walk stopped (saves a result pair per element). */
let at = 0;

/**
 * True when the character at `i` (before `end`) cannot continue a token, a parameter value, a
 * host or a port: so a model string matched just before it is the whole of that text element.
 */
function endsAt(s: string, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = s.charCodeAt(i);
  return c === 0x3b || c === 0x2c || c === 0x20 || c === 0x09;
}

/** True when `s` holds exactly `word` from `i` (a whole element); sets {@link at} after it. */
function sameWord(s: string, i: number, end: number, word: unknown): boolean {
  if (typeof word !== 'string' || word.length === 0 || !s.startsWith(word, i)) return false;
  at = i + word.length;
  return endsAt(s, at, end);
}

/** True when `s` holds `word` from `i` followed by the character `next`; sets {@link at} on it. */
function sameWordThen(s: string, i: number, word: unknown, next: number): boolean {
  if (typeof word !== 'string' || word.length === 0 || !s.startsWith(word, i)) return false;
  at = i + word.length;
  return s.charCodeAt(at) === next;
}

/**
 * Walks `*( SEMI generic-param )` from `i` against `params`, in order (the parser stores them in
 * the order they are written). Parameter names must be written in lower case, as the model keys
 * them (an upper-case name in the text answers false: written from the model, still correct).
 * Sets {@link at} past the last one; false on any difference.
 */
function sameParams(s: string, i: number, end: number, value: unknown): boolean {
  // Model values come from user code too: anything but an object is a difference.
  if (typeof value !== 'object' || value === null) return false;
  const params = value as Params;
  for (const name in params) {
    const v = params[name];
    if (v === undefined) continue;
    if (s.charCodeAt(i) !== 0x3b) {
      i = skipWsp(s, i);
      if (s.charCodeAt(i) !== 0x3b) return false;
    }
    const n = skipWsp(s, i + 1);
    if (!(sameWordThen(s, n, name, 0x3d) || sameWord(s, n, end, name))) return false;
    i = at;
    if (v === null) {
      if (skipWsp(s, i) < end && s.charCodeAt(skipWsp(s, i)) === 0x3d) return false;
      continue;
    }
    if (s.charCodeAt(i) !== 0x3d) {
      i = skipWsp(s, i);
      if (s.charCodeAt(i) !== 0x3d) return false;
    }
    if (typeof v !== 'string' || !sameWord(s, skipWsp(s, i + 1), end, v)) return false;
    i = at;
  }
  i = skipWsp(s, i);
  if (i < end && s.charCodeAt(i) === 0x3b) return false; // a parameter the model no longer has
  at = i;
  return true;
}

/** The URI of a name-addr: a string as parsed, or (Route, Record-Route, Path) a URI object. */
function uriText(uri: unknown): string | undefined {
  if (typeof uri === 'string') return uri;
  if (uri === null || typeof uri !== 'object') return undefined;
  return stringifyUri(uri);
}

/** One name-addr or addr-spec from `i` against `value`; sets {@link at} after it. */
function sameNameAddr(s: string, i: number, end: number, model: unknown): boolean {
  if (typeof model !== 'object' || model === null) return false;
  const value = model as NameAddr | RouteEntry;
  i = skipWsp(s, i);
  const name: unknown = value.name;
  if (name !== undefined) {
    if (typeof name !== 'string' || name.length === 0 || !s.startsWith(name, i)) return false;
    i = skipWsp(s, i + name.length);
    if (s.charCodeAt(i) !== 0x3c) return false;
  }
  const uri = uriText(value.uri);
  if (uri === undefined) return false;
  if (s.charCodeAt(i) === 0x3c) {
    if (!s.startsWith(uri, i + 1) || s.charCodeAt(i + 1 + uri.length) !== 0x3e) return false;
    i += uri.length + 2;
  } else {
    // An addr-spec ends at `;` or `,`: a model URI holding one would parse back differently.
    if (uri.indexOf(';') !== -1 || uri.indexOf(',') !== -1 || !s.startsWith(uri, i)) return false;
    i += uri.length;
    const c = s.charCodeAt(i);
    if (i < end && !(c === 0x3b || c === 0x2c || c === 0x20 || c === 0x09)) return false;
  }
  return sameParams(s, i, end, value.params);
}

/** A list element walker: one element from `i` against `value`, setting {@link at} after it. */
type Same = (s: string, i: number, end: number, value: unknown) => boolean;

const LISTS: Record<string, Same | undefined> = {
  contact: sameNameAddr,
  'record-route': sameNameAddr,
  path: sameNameAddr,
};

const SINGLE: Record<string, Same | undefined> = {
  'refer-to': sameNameAddr,
};

/**
 * The keys {@link sameAsLines} compares: the name-addr headers parsed up front that a proxy
 * usually forwards untouched. Via, From, To, CSeq and Route are written from the model: on V8
 * here, walking their text against the model costs more than building their lines
 * (bench/PARSER-BUDGET.md), and a proxy changes Via and Route anyway.
 */
export const COMPARED: ReadonlySet<string> = new Set(['contact', 'record-route', 'path', 'refer-to']);

/**
 * True when `value` (the model of structured header `key`) is exactly what the values
 * `text[starts[k], ends[k])` for k < `count` say, in order (a list may spread over several lines and a line may
 * hold several comma-separated elements).
 */
export function sameAsLines(key: string, value: unknown, text: string, starts: Int32Array, ends: Int32Array, count: number): boolean {
  if (count === 0 || value === undefined || value === null) return false;
  const single = SINGLE[key];
  if (single !== undefined) {
    const end = ends[0] ?? -1;
    if (count !== 1 || end < 0 || !single(text, starts[0] ?? 0, end, value)) return false;
    return skipWsp(text, at) >= end;
  }
  const same = LISTS[key];
  if (same === undefined || !Array.isArray(value)) return false;
  const list = value as unknown[];
  let n = 0;
  for (let k = 0; k < count; k++) {
    const end = ends[k] ?? -1;
    if (end < 0) return false;
    let i = starts[k] ?? 0;
    for (;;) {
      if (n >= list.length || !same(text, i, end, list[n++])) return false;
      i = skipWsp(text, at);
      if (i >= end) break;
      if (text.charCodeAt(i) !== 0x2c) return false;
      i++;
    }
  }
  return n === list.length;
}
