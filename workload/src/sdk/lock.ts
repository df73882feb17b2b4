/**
 * The lock around "process one record": a record's state change, processed offset and the
 * routing of its outputs happen together. Records of one partition are processed one at a
 * time, in order; records of different partitions at once, because a service's state is
 * keyed and a key lives in one partition. Why at once: after any stall (the checkpoint pause,
 * the handover) the backlog of every partition drains in parallel instead of queueing behind
 * one another, which is what keeps the extra delay close to the stall itself.
 *
 * `run` is exclusive: it waits for every record in flight and holds new ones back. The fence
 * uses it (the record in flight finishes, later ones are refused), and so does a snapshot. A
 * kafkajs client from before a restore may still be inside a handler; the lock makes the new
 * session's records wait for it instead of racing it.
 */
export class Lock {
  private exclusiveTail: Promise<void> = Promise.resolve();
  private readonly keyTails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private holders = 0;

  get busy(): boolean {
    return this.holders > 0;
  }

  /** Exclusive: after every record in flight, before any record that starts later. */
  async run<T>(work: () => Promise<T> | T): Promise<T> {
    const previous = this.exclusiveTail;
    let release!: () => void;
    this.exclusiveTail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holders += 1;
    await previous;
    await Promise.all([...this.inFlight]);
    try {
      return await work();
    } finally {
      this.holders -= 1;
      release();
    }
  }

  /** One record of `key` (a partition): after the key's previous record, beside other keys'. */
  async runFor<T>(key: string, work: () => Promise<T> | T): Promise<T> {
    const previous = this.keyTails.get(key) ?? Promise.resolve();
    let releaseKey!: () => void;
    const mine = new Promise<void>((resolve) => {
      releaseKey = resolve;
    });
    this.keyTails.set(key, mine);
    this.holders += 1;
    try {
      await previous;
      // Wait out exclusive sections, including one queued while we waited.
      for (;;) {
        const tail = this.exclusiveTail;
        await tail;
        if (tail === this.exclusiveTail) break;
      }
      // From here to `inFlight.add` nothing awaits, so an exclusive section that starts
      // afterwards is sure to see this record in flight.
      const section = Promise.resolve().then(work);
      const settled = section.then(
        () => undefined,
        () => undefined,
      );
      this.inFlight.add(settled);
      try {
        return await section;
      } finally {
        this.inFlight.delete(settled);
      }
    } finally {
      this.holders -= 1;
      releaseKey();
      if (this.keyTails.get(key) === mine) this.keyTails.delete(key);
    }
  }
}
