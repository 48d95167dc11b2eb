/**
 * A growable byte buffer that bytes are appended to and consumed from the front, each byte copied
 * a bounded number of times (amortised linear), for decoders of stream transports. Pure.
 */
export class ByteQueue {
  private buf = new Uint8Array(1024);
  private start = 0;
  private end = 0;

  /** Bytes held. */
  get length(): number {
    return this.end - this.start;
  }

  /** A view of the held bytes (valid until the next append). */
  get bytes(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (this.start >= this.buf.length / 2 && live + chunk.length <= this.buf.length) this.buf.copyWithin(0, this.start, this.end);
      else {
        const next = new Uint8Array((live + chunk.length) * 2);
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.start = Math.min(this.end, this.start + n);
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}
