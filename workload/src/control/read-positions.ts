/** A partition's offset, as kafkajs writes offsets (decimal strings). */
export interface PartitionPosition {
  partition: number;
  offset: string;
}

/**
 * Where a control reader stands in each partition: the next offset it has not handled yet.
 *
 * Why the reader keeps its own: its consumer group commits after each handled event, and a
 * group with nothing committed yet starts a join at the log's end. When the group coordinator
 * dies before the first commit lands (a broker killed as the fence begins), the group is joined
 * again with nothing committed, and every event published between the two joins is skipped:
 * a source that missed its shadow's FencePassed but read the FenceAborted after it resumed
 * beside a primary shadow. So after every join the reader seeks back to where it was; the
 * events it may read twice are idempotent by fence id.
 */
export class ReadPositions {
  readonly #next = new Map<number, bigint>();

  /** Where reading starts in partitions nothing was read from yet. */
  startAt(positions: readonly PartitionPosition[]): void {
    for (const { partition, offset } of positions) {
      if (!this.#next.has(partition)) this.#next.set(partition, BigInt(offset));
    }
  }

  /** The event at `offset` was handled (or skipped as not a fence event): read on after it. */
  handled(partition: number, offset: string): void {
    const next = BigInt(offset) + 1n;
    if (next > (this.#next.get(partition) ?? -1n)) this.#next.set(partition, next);
  }

  /** Where each partition resumes after a join. */
  resumeAt(): PartitionPosition[] {
    return [...this.#next].map(([partition, next]) => ({ partition, offset: next.toString() }));
  }
}
