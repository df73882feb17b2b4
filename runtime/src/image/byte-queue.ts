/**
 * Reads an async byte stream in pieces of a chosen size without copying more than it must:
 * the tar reader takes 512-byte headers and streams file bodies through, the cipher takes
 * whole frames. Chunks are only concatenated when a requested piece spans several of them.
 */
export class ByteQueue {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Bytes buffered right now. */
  get buffered(): number {
    return this.length;
  }

  /** Buffers until at least `n` bytes are there or the source ends; true if there are `n`. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const value = next.value;
      if (value.byteLength === 0) continue;
      this.chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      this.length += value.byteLength;
    }
    return this.length >= n;
  }

  /** True once the source has ended and everything buffered was taken. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Exactly `n` bytes, or undefined if the source ends first (what was there stays buffered). */
  async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    return this.take(n);
  }

  /** Up to `n` bytes, fewer only at the end of the source. */
  async readUpTo(n: number): Promise<Buffer> {
    await this.fill(n);
    return this.take(Math.min(n, this.length));
  }

  /**
   * Streams the next `n` bytes chunk by chunk (no concatenation); throws if the source ends
   * before `n` bytes came.
   */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill(1))) throw new Error(`stream ended ${left} bytes early`);
      const first = this.chunks[0] as Buffer;
      const piece = first.length <= left ? first : first.subarray(0, left);
      this.consume(piece.length);
      left -= piece.length;
      yield piece;
    }
  }

  /** Discards the next `n` bytes; false if the source ended first. */
  async skip(n: number): Promise<boolean> {
    try {
      for await (const _ of this.stream(n)) {
        // discarded
      }
      return true;
    } catch {
      return false;
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const piece = first.subarray(0, n);
      this.consume(n);
      return piece;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Buffer;
      const count = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, count);
      filled += count;
      this.consume(count);
    }
    return out;
  }

  private consume(n: number): void {
    const first = this.chunks[0] as Buffer;
    if (n === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.length -= n;
  }
}
