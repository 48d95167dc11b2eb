/** Pretty JSON of a parsed message; byte arrays (bodies that are not UTF-8) become `{ bytes, base64 }`. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      // Read the holder, not `v`: a Buffer's toJSON() has already run by the time `v` arrives.
      const raw = this[key];
      return raw instanceof Uint8Array
        ? { bytes: raw.byteLength, base64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }
        : v;
    },
    2,
  );
}
