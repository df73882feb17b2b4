/**
 * A mutex around "process one record": the state, the processed offsets and the routing of
 * its outputs change together, and a fence waits here for the record in flight to finish.
 * A kafkajs client from before a restore may still be inside a handler; the lock makes the
 * new session's first record wait for it instead of racing it.
 */
export class Lock {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  get busy(): boolean {
    return this.holders > 0;
  }

  async run<T>(work: () => Promise<T> | T): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holders += 1;
    await previous;
    try {
      return await work();
    } finally {
      this.holders -= 1;
      release();
    }
  }
}
