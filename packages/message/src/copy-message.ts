/**
 * Copying messages (the classic `sip.copyMessage`).
 */
import type { SipMessage } from './types.js';

/**
 * A deep copy of a JSON-like value; byte arrays are copied, not shared. Objects are walked with
 * `for…in` (no key array per object): enumerable properties of a plain object's prototype, which
 * messages do not have, would become own properties of the copy.
 */
export function copyValue<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v.slice() as T;
  if (Array.isArray(v)) return v.map(copyValue) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const value = copyValue((v as Record<string, unknown>)[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value, writable: true, enumerable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}

/**
 * Copies a message. Shallow (the default): a new message object and a new `headers` object and
 * `via` array, sharing the header values (as the classic library does, but keeping `version`).
 * Deep: a full recursive copy.
 * @example const fwd = copyMessage(rq); fwd.headers.via.unshift(myVia)
 */
export function copyMessage<M extends SipMessage>(message: M, deep = false): M {
  if (deep) return copyValue(message);
  const copy = { ...message, headers: { ...message.headers } };
  if (Array.isArray(copy.headers.via)) copy.headers.via = copy.headers.via.slice();
  return copy;
}
