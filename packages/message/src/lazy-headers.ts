/**
 * Lazily parsed headers and header faults (the liberal parse mode).
 *
 * The authentication headers, and any Contact, Record-Route, Path or Refer-To that fails to parse,
 * keep their text until someone reads them. Such a header sits on the `headers` object as an own,
 * enumerable accessor property, so `Object.keys`, `for…in`, spreading, `JSON.stringify`,
 * `structuredClone` and deep-equality checks all see it as the plain data it stands for. The first
 * read parses it and keeps the result, so every later read returns the same object; an assignment
 * (or `defineProperty`, or `delete`) turns it into an ordinary data property. Copies (spread,
 * `structuredClone`, `copyMessage`) hold data properties only.
 *
 * A header whose value is malformed never throws when read: it keeps its text (a string) and the
 * fault is listed by {@link headerFaults}; {@link parsedHeader} reads it with an honest type.
 * RFC 4475 §3.1.2.12: an element should reject a message for a malformed header only when it uses
 * that header.
 */
import { addHeaderOf, type StructuredKind } from './add-header.js';
import { LAZY, type KnownHeader } from './known-headers.js';
import { SipParseError } from './errors.js';
import { byteOffsetIn, rawOf, unfold, type RawHeaders } from './raw-headers.js';
import type { Headers, HeaderValue, SipMessage } from './types.js';

/** A header of a parsed message whose value is malformed, found in the liberal (default) mode. */
export interface HeaderFault {
  /** The header's key in `headers` (lower-case full name). */
  header: string;
  /** What is wrong, with `code`, the byte `offset` in the message and the `status` a strict parser answers. */
  error: SipParseError;
}

/** Where a headers object keeps its faults: non-enumerable, so no copy, clone or comparison sees it. */
const FAULTS: unique symbol = Symbol('sipts.headerFaults');

type WithFaults = Headers & { [FAULTS]?: HeaderFault[] };

/** Records a fault on `headers`. */
export function addFault(headers: Headers, header: string, error: SipParseError): void {
  const h = headers as WithFaults;
  const list = h[FAULTS];
  if (list !== undefined) list.push({ header, error });
  else Object.defineProperty(h, FAULTS, { value: [{ header, error }], writable: true, enumerable: false, configurable: true });
}

function setData(headers: Headers, key: string, value: HeaderValue): void {
  Object.defineProperty(headers, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The value of the lazy header `key`: parsed from its raw lines on the first read, then kept. On a
 * fault the header keeps its text (repeated lines joined with `,`) and the fault is recorded.
 */
function resolve(headers: Headers, { key, kind }: KnownHeader): HeaderValue | undefined {
  const raw = rawOf(headers);
  if (raw === undefined) return undefined;
  const known = raw.parsed?.[key];
  if (known !== undefined) return known;
  if (peeking) return NOT_READ;
  const spans = raw.lazy ?? [];
  const text = raw.text;
  const parsed: Headers = {};
  let failed = false;
  let seen = false;
  for (let k = 0; k < spans.length; k += 3) {
    if (spans[k] !== key) continue;
    seen = true;
    const start = spans[k + 1] as number;
    const end = spans[k + 2] as number;
    // Parsed from its own string: the scanners make codes for what they read, not the whole section.
    const value = end >= 0 ? text.slice(start, end) : unfold(text, start, -end - 1);
    try {
      addHeaderOf(parsed, kind as StructuredKind, key, value, 0, value.length);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      const at = byteOffsetIn(raw, end >= 0 ? start + e.offset : start);
      addFault(headers, key, e.withOffset(at));
      failed = true;
      break;
    }
  }
  if (!seen) return undefined;
  const out = failed ? textOf(raw, key) : (parsed[key] ?? textOf(raw, key));
  // Kept beside the raw lines rather than turned into a data property: redefining a property on
  // every message costs V8 a new hidden class each time (about a microsecond here).
  (raw.parsed ??= {})[key] = out;
  return out;
}

/** The text of the lazy header `key`: its values unfolded, repeated lines joined with `,`. */
function textOf(raw: RawHeaders, key: string): string {
  const spans = raw.lazy ?? [];
  const texts: string[] = [];
  for (let k = 0; k < spans.length; k += 3) {
    if (spans[k] !== key) continue;
    const start = spans[k + 1] as number;
    const end = spans[k + 2] as number;
    texts.push(end >= 0 ? raw.text.slice(start, end) : unfold(raw.text, start, -end - 1));
  }
  return texts.join(',');
}

/**
 * One accessor pair per lazy header, shared by every message: V8 then gives all parsed headers
 * objects the same hidden classes (a fresh closure per message would make each one unique).
 */
const ACCESSORS: Record<string, PropertyDescriptor> = Object.create(null) as Record<string, PropertyDescriptor>;
/** The getters of {@link ACCESSORS}, to tell a pending header from one a user redefined. */
const GETTERS = new Set<unknown>();
for (const header of LAZY) {
  const key = header.key;
  const get = function (this: Headers): HeaderValue | undefined {
    return resolve(this, header);
  };
  GETTERS.add(get);
  ACCESSORS[key] = {
    get,
    set(this: Headers, v: HeaderValue) {
      setData(this, key, v);
    },
    enumerable: true,
    configurable: true,
  };
}

/**
 * Makes the lazy header `key` of `headers` parse on first access, from the raw lines that the
 * parser attaches when it is done. A repeated header is one property.
 */
export function deferHeader(headers: Headers, key: string): void {
  // Redefining an earlier line's data property in place keeps the header's position.
  if (!isDeferred(headers, key)) Object.defineProperty(headers, key, ACCESSORS[key] ?? {});
}

/** True when `key` of `headers` is (still) a lazy accessor this module defined. */
export function isDeferred(headers: Headers, key: string): boolean {
  const d: { get?: unknown } | undefined = Object.getOwnPropertyDescriptor(headers, key);
  return GETTERS.has(d?.get);
}

/** What a lazy header's getter returns while {@link peekHeader} runs and the header was never read. */
export const NOT_READ: HeaderValue = Object.freeze([]) as unknown as HeaderValue;

let peeking = false;

/**
 * The value of header `key` as it is now, without parsing a lazy header: {@link NOT_READ} when it
 * was never read or assigned. One getter call, no descriptor (the serializer's check per header).
 */
export function peekHeader(headers: Headers, key: string): HeaderValue | undefined {
  peeking = true;
  const value = headers[key];
  peeking = false;
  return value;
}

/** True when header `key` of `headers` has not been read or written since it was parsed. */
export function isPending(headers: Headers, key: string): boolean {
  const d: { get?: unknown } | undefined = Object.getOwnPropertyDescriptor(headers, key);
  return GETTERS.has(d?.get) && rawOf(headers)?.parsed?.[key] === undefined;
}

/** The known headers whose declared type is structured but which may read as text (see {@link parsedHeader}). */
type MaybeText = 'contact' | 'record-route' | 'path' | 'refer-to' | 'www-authenticate' | 'proxy-authenticate' | 'authorization' | 'proxy-authorization' | 'authentication-info' | 'proxy-authentication-info';

/**
 * Header `key` of `message` as its declared structured type, or `undefined` when it is absent or
 * malformed. The types of `headers` describe well-formed headers (which a strict parse
 * guarantees); in the liberal (default) mode a malformed Contact, Record-Route, Path, Refer-To or
 * authentication header reads as its text instead (and is listed by {@link headerFaults}). This
 * accessor makes that case visible to the type checker: the value it returns is what its type says.
 * @example const contacts = parsedHeader(m, 'contact') ?? []; // NameAddr[]; a malformed Contact gives []
 * @see RFC 4475 §3.1.2.12 (an element uses, and so rejects, only the headers it needs)
 */
export function parsedHeader<K extends MaybeText>(message: SipMessage, key: K): Headers[K] | undefined {
  const value = message.headers[key] as unknown;
  return typeof value === 'string' ? undefined : (value as Headers[K]);
}

/**
 * The faults of a message parsed in the liberal (default) mode: every header whose value is
 * malformed but was not needed to deliver the message (RFC 4475 §3.1.2.12). Parses any header
 * still waiting to be read, so every fault is found. Empty for a strict parse (which throws instead)
 * and for messages built in code.
 * @example const m = parseMessage(bytes); for (const f of headerFaults(m)) log.warn(f.header, f.error.code)
 * @see RFC 3261 §16.3 (a proxy does not check headers it does not use), RFC 4475 §3.1.2.12
 */
export function headerFaults(message: SipMessage): readonly HeaderFault[] {
  const headers = message.headers as WithFaults;
  for (const key of Object.keys(headers)) {
    if (isPending(headers, key)) Reflect.get(headers, key);
  }
  return headers[FAULTS] ?? [];
}
