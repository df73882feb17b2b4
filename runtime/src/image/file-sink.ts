import { type FileHandle, open } from "node:fs/promises";

/**
 * Writes a stream of buffers to a file with a few writes in flight at once (each at its own
 * offset), so hashing and encrypting the next chunk on the main thread overlaps with the
 * kernel copying the previous ones in libuv's pool. Awaiting each write in turn leaves one of
 * the two cores idle half of the time.
 *
 * Buffers handed to `write` must not be reused by the caller until `close` resolves.
 */
export class FileSink {
  private position = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  private constructor(
    private readonly handle: FileHandle,
    private readonly maxInFlight: number,
  ) {}

  static async create(path: string, mode: number, maxInFlight = 4): Promise<FileSink> {
    return new FileSink(await open(path, "wx", mode), maxInFlight);
  }

  get bytesWritten(): number {
    return this.position;
  }

  /** Later writes go on from `position` (a sparse file's next extent). */
  moveTo(position: number): void {
    this.position = position;
  }

  /** Sets the file's size once every write is in (holes stay holes). */
  async truncate(size: number): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    await this.handle.truncate(size);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.byteLength === 0) return;
    const at = this.position;
    this.position += chunk.byteLength;
    const done: Promise<void> = this.writeAll(chunk, at).then(
      () => {
        this.inFlight.delete(done);
      },
      (error: unknown) => {
        this.inFlight.delete(done);
        this.failure ??= error;
      },
    );
    this.inFlight.add(done);
    if (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for every write, then closes; throws the first write error if there was one. */
  async close(): Promise<void> {
    await Promise.all(this.inFlight);
    await this.handle.close();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes after a failure elsewhere, without throwing. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.handle.close().catch(() => undefined);
  }

  private async writeAll(chunk: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < chunk.byteLength) {
      const { bytesWritten } = await this.handle.write(
        chunk,
        done,
        chunk.byteLength - done,
        at + done,
      );
      done += bytesWritten;
    }
  }
}
