/**
 * Small helpers shared by the message tests.
 */
import { SipParseError, parseMessage, type ParseOptions } from '../src/index.js';

const enc = new TextEncoder();

/** Concatenates text (UTF-8 encoded), byte lists and byte arrays into one Uint8Array. */
export function bytesOf(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The SipParseError `f` throws; any other outcome fails the test. */
export function thrownParseError(f: () => unknown): SipParseError {
  try {
    f();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}

/** The SipParseError that parsing `input` throws in the strict mode (every header parsed, first fault thrown). */
export function parseErrorOf(input: string | Uint8Array, options?: ParseOptions): SipParseError {
  return thrownParseError(() => parseMessage(input, { strict: true, ...options }));
}
