import type { PartitionOffset } from "../types.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}#${partition}`;
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic.localeCompare(b.topic);
}

/**
 * The input offsets this process has processed, per partition. It lives next to the service's
 * state and changes only together with it (inside the processing lock), so a checkpoint of the
 * process holds both at one consistent point: after a restore, the next record to process on a
 * partition is exactly `last + 1`.
 */
export class Progress {
  private readonly processed = new Map<string, PartitionOffset>();
  /** Lowest offset delivered but refused (paused, fenced) on a partition with nothing processed. */
  private readonly refusedLow = new Map<string, PartitionOffset>();
  private assignment: TopicPartition[] = [];

  constructor(initial: PartitionOffset[] = []) {
    for (const entry of initial) {
      if (entry.offset >= 0) this.processed.set(tpKey(entry.topic, entry.partition), { ...entry });
    }
  }

  /** The last offset processed on a partition, or undefined when none was. */
  last(topic: string, partition: number): number | undefined {
    return this.processed.get(tpKey(topic, partition))?.offset;
  }

  record(topic: string, partition: number, offset: number): void {
    this.processed.set(tpKey(topic, partition), { topic, partition, offset });
    this.refusedLow.delete(tpKey(topic, partition));
  }

  /** Remembers where to resume a partition whose records were delivered but not processed. */
  noteRefused(topic: string, partition: number, offset: number): void {
    const key = tpKey(topic, partition);
    if (this.processed.has(key)) return;
    const low = this.refusedLow.get(key);
    if (low === undefined || offset < low.offset)
      this.refusedLow.set(key, { topic, partition, offset });
  }

  /** Where consumption must continue: after the last processed record, or at the first refused one. */
  next(topic: string, partition: number): number | undefined {
    const last = this.last(topic, partition);
    if (last !== undefined) return last + 1;
    return this.refusedLow.get(tpKey(topic, partition))?.offset;
  }

  set assigned(partitions: TopicPartition[]) {
    this.assignment = [...partitions].sort(byTopicPartition);
  }

  get assigned(): TopicPartition[] {
    return this.assignment;
  }

  list(): PartitionOffset[] {
    return [...this.processed.values()].map((entry) => ({ ...entry })).sort(byTopicPartition);
  }

  /** The cut: the last offset processed on every assigned partition (-1 where none was). */
  cut(): PartitionOffset[] {
    const seen = new Map<string, PartitionOffset>();
    for (const { topic, partition } of this.assignment) {
      seen.set(tpKey(topic, partition), {
        topic,
        partition,
        offset: this.last(topic, partition) ?? -1,
      });
    }
    for (const entry of this.processed.values()) {
      seen.set(tpKey(entry.topic, entry.partition), { ...entry });
    }
    return [...seen.values()].sort(byTopicPartition);
  }

  /** True once every partition of the cut has been processed at least up to the cut. */
  passed(cut: readonly PartitionOffset[]): boolean {
    return cut.every(
      ({ topic, partition, offset }) => (this.last(topic, partition) ?? -1) >= offset,
    );
  }

  /** Records still to process before the cut, summed over partitions. */
  behind(cut: readonly PartitionOffset[]): number {
    let total = 0;
    for (const { topic, partition, offset } of cut) {
      total += Math.max(0, offset - (this.last(topic, partition) ?? -1));
    }
    return total;
  }
}
