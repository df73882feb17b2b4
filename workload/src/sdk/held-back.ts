import type { PartitionOffset, PendingOutput } from "../types.ts";
import { type TopicPartition, tpKey } from "./progress.ts";

/**
 * A shadow's outputs, held back in processing order with the input offset that caused each.
 * Whose they are is decided later: at or below the source's cut they were the source's to
 * produce (dropped here), beyond it they are the shadow's (released in order once it is
 * primary). Until the cut is known, the source's committed progress trims the buffer (the
 * source commits an offset only after its outputs were acknowledged), which keeps it small.
 */
export class HeldBack {
  private items: PendingOutput[] = [];
  /** Outputs held per input partition: the partitions where the shadow is ahead of its source. */
  private readonly perPartition = new Map<string, TopicPartition & { count: number }>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.items.length;
  }

  /** Full: the shadow stops consuming until the cut or the source's progress frees room. */
  get full(): boolean {
    return this.items.length >= this.max;
  }

  hold(outputs: readonly PendingOutput[]): void {
    for (const output of outputs) {
      this.items.push(output);
      const { topic, partition } = output.input;
      const key = tpKey(topic, partition);
      const entry = this.perPartition.get(key);
      if (entry) entry.count += 1;
      else this.perPartition.set(key, { topic, partition, count: 1 });
    }
  }

  /** The input partitions with at least one output held. */
  partitions(): TopicPartition[] {
    return [...this.perPartition.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Drops outputs caused by records at or below `upTo` on each given partition. */
  discardUpTo(positions: readonly PartitionOffset[]): number {
    if (positions.length === 0 || this.items.length === 0) return 0;
    const covered = coveredBy(positions);
    const before = this.items.length;
    this.items = this.items.filter(({ input }) => {
      if (!covered(input)) return true;
      const key = tpKey(input.topic, input.partition);
      const entry = this.perPartition.get(key);
      if (entry && --entry.count === 0) this.perPartition.delete(key);
      return false;
    });
    return before - this.items.length;
  }

  /** How many outputs `discardUpTo(positions)` would drop, without dropping them. */
  countUpTo(positions: readonly PartitionOffset[]): number {
    if (positions.length === 0 || this.items.length === 0) return 0;
    const covered = coveredBy(positions);
    let count = 0;
    for (const { input } of this.items) if (covered(input)) count += 1;
    return count;
  }

  /** Everything held, in processing order, without removing it. */
  peek(): readonly PendingOutput[] {
    return this.items;
  }

  /** Removes and returns everything held, in processing order. */
  takeAll(): PendingOutput[] {
    const taken = this.items;
    this.items = [];
    this.perPartition.clear();
    return taken;
  }

  /** The lowest input offset on a partition that still has an output held, if any. */
  lowest(topic: string, partition: number): number | undefined {
    for (const { input } of this.items) {
      if (input.topic === topic && input.partition === partition) return input.offset;
    }
    return undefined;
  }

  clear(): number {
    const count = this.items.length;
    this.items = [];
    this.perPartition.clear();
    return count;
  }
}

/** Whether an input is at or below `positions` on its partition (partitions not named: no). */
function coveredBy(positions: readonly PartitionOffset[]): (input: PartitionOffset) => boolean {
  const limits = new Map<string, number>();
  for (const { topic, partition, offset } of positions) limits.set(tpKey(topic, partition), offset);
  return (input) => {
    const limit = limits.get(tpKey(input.topic, input.partition));
    return limit !== undefined && input.offset <= limit;
  };
}

/** A source's cut, indexed: partitions it does not name count as -1 (nothing processed). */
export class CutIndex {
  readonly entries: PartitionOffset[];
  private readonly byPartition = new Map<string, number>();

  constructor(cut: readonly PartitionOffset[]) {
    this.entries = cut.map((entry) => ({ ...entry }));
    for (const { topic, partition, offset } of cut)
      this.byPartition.set(tpKey(topic, partition), offset);
  }

  at(topic: string, partition: number): number {
    return this.byPartition.get(tpKey(topic, partition)) ?? -1;
  }

  /** True when the source processed this record (so it produced its outputs). */
  covers(input: PartitionOffset): boolean {
    return input.offset <= this.at(input.topic, input.partition);
  }
}
