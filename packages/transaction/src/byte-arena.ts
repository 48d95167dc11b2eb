/**
 * Append-only storage for the response bytes of waiting transactions: many small responses share
 * one chunk, so a waiting transaction keeps an offset into it instead of a `Uint8Array` and an
 * `ArrayBuffer` of its own (two heap objects, about 180 B with 64-bit pointers, plus the backing
 * store's allocation). Nothing is freed explicitly: a chunk is collected once no entry refers to
 * it. Entries of one timer duration end in the order they were added, so chunks die in order too;
 * an entry removed early leaves its bytes until the chunk's last entry ends (at most one timer
 * duration later).
 * @see RFC 3261 §17.2.2 (a retransmitted request is answered with the same bytes)
 */

/** Bytes of one chunk. */
const CHUNK = 32 * 1024;
/** A response larger than this keeps its own array (copying it would waste a chunk's tail). */
const MAX_SHARED = CHUNK / 8;
/** `span` of a response that keeps its own array: all of it. */
export const WHOLE = -1;

/** Where {@link ByteArena.store} put the bytes: read them back with {@link viewOf}. */
export interface Stored {
  readonly chunk: Uint8Array;
  /** `offset · 65536 + length`, or {@link WHOLE}: one small integer, no object. */
  readonly span: number;
}

/** Where {@link ByteArena.storeKeyed} put a key and the bytes after it. */
export interface StoredKeyed extends Stored {
  /** Where the key's bytes start in `chunk` (one byte per character). */
  readonly keyAt: number;
}

/** One writer of chunks (the waiting table has one). */
export class ByteArena {
  #chunk: Uint8Array | undefined = undefined;
  #used = 0;
  /** Reused result (the caller copies the fields out at once): no object per store. */
  readonly #out: { chunk: Uint8Array; span: number; keyAt: number } = { chunk: new Uint8Array(0), span: WHOLE, keyAt: 0 };

  /** The current chunk with room for `length` more bytes (a new one when it has not). */
  #room(length: number): Uint8Array {
    let chunk = this.#chunk;
    if (chunk === undefined || this.#used + length > CHUNK) {
      chunk = this.#chunk = new Uint8Array(CHUNK);
      this.#used = 0;
    }
    return chunk;
  }

  /**
   * Copies `key`, one byte per character, and then `bytes` (if any) into one chunk, so that a
   * waiting transaction's key needs no string of its own. `bytes` larger than a shared response
   * are kept as they are (`span` {@link WHOLE}; the caller keeps the array). `undefined`, with
   * nothing written, when the key has a character above U+00FF or is itself that large.
   */
  storeKeyed(key: string, bytes: Uint8Array | undefined): StoredKeyed | undefined {
    const keyLength = key.length;
    if (keyLength > MAX_SHARED) return undefined;
    const shared = bytes !== undefined && bytes.length <= MAX_SHARED ? bytes.length : 0;
    const chunk = this.#room(keyLength + shared);
    const keyAt = this.#used;
    for (let i = 0; i < keyLength; i++) {
      const c = key.charCodeAt(i);
      if (c > 0xff) return undefined;
      chunk[keyAt + i] = c;
    }
    const out = this.#out;
    out.chunk = chunk;
    out.keyAt = keyAt;
    if (bytes === undefined || bytes.length > MAX_SHARED) {
      out.span = WHOLE;
      this.#used = keyAt + keyLength;
      return out;
    }
    const offset = keyAt + keyLength;
    chunk.set(bytes, offset);
    this.#used = offset + shared;
    out.span = offset * 65536 + shared;
    return out;
  }

  /** Copies `bytes` into the current chunk (or a new one); large ones are kept as they are. */
  store(bytes: Uint8Array): Stored {
    const out = this.#out;
    const length = bytes.length;
    if (length > MAX_SHARED) {
      out.chunk = bytes;
      out.span = WHOLE;
      return out;
    }
    const chunk = this.#room(length);
    const offset = this.#used;
    chunk.set(bytes, offset);
    this.#used = offset + length;
    out.chunk = chunk;
    out.span = offset * 65536 + length;
    return out;
  }

  /** Drops the current chunk (entries still holding it keep it alive). */
  reset(): void {
    this.#chunk = undefined;
    this.#used = 0;
  }
}

/** The bytes stored at `span` of `chunk` (a view, no copy). */
export function viewOf(chunk: Uint8Array, span: number): Uint8Array {
  if (span === WHOLE) return chunk;
  const offset = Math.floor(span / 65536);
  return chunk.subarray(offset, offset + (span % 65536));
}

/** True when `key` is the `length` bytes at `at` in `chunk`, one byte per character. */
export function keyIsAt(chunk: Uint8Array, at: number, length: number, key: string): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (chunk[at + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** The key stored at `at` in `chunk` (see {@link ByteArena.storeKeyed}), as a string again. */
export function keyOf(chunk: Uint8Array, at: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 4096) out += String.fromCharCode(...chunk.subarray(at + i, at + Math.min(length, i + 4096)));
  return out;
}
