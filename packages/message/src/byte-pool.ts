/**
 * Small byte arrays carved out of a shared slab, as Node's Buffer pool does, without Buffer.
 *
 * A `Uint8Array` with a buffer of its own costs an off-heap allocation (about half a microsecond
 * here, more than parsing a header); a view into an existing ArrayBuffer costs a few tens of
 * nanoseconds. The price is that a view keeps its slab (at most {@link SLAB_BYTES}) alive.
 */

/** Size of one slab. */
export const SLAB_BYTES = 32 * 1024;
/** Larger arrays get a buffer of their own. */
const MAX_POOLED = 4 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

function reserve(length: number): void {
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
}

function take(length: number): Uint8Array {
  const out = slab.subarray(used, used + length);
  used = (used + length + 7) & ~7; // keep views 8-byte aligned
  return out;
}

/** A copy of `bytes`, pooled when small. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  if (length > MAX_POOLED) return bytes.slice();
  reserve(length);
  const out = take(length);
  out.set(bytes);
  return out;
}

const encoder = new TextEncoder();

/** `s` encoded as UTF-8, pooled when small. */
export function encodeUtf8Pooled(s: string): Uint8Array {
  const worst = s.length * 3;
  if (worst > MAX_POOLED) return encoder.encode(s);
  reserve(worst);
  const { written } = encoder.encodeInto(s, slab.subarray(used, used + worst));
  return take(written);
}

/** `head` encoded as UTF-8 followed by `body`, in one pooled array when small. */
export function concatPooled(head: string, body: Uint8Array): Uint8Array {
  const worst = head.length * 3 + body.length;
  if (worst > MAX_POOLED) {
    const h = encoder.encode(head);
    const out = new Uint8Array(h.length + body.length);
    out.set(h, 0);
    out.set(body, h.length);
    return out;
  }
  reserve(worst);
  const { written } = encoder.encodeInto(head, slab.subarray(used, used + head.length * 3));
  slab.set(body, used + written);
  return take(written + body.length);
}
