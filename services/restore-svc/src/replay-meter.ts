import type { InstanceProgress } from "@shadow/runtime";

/**
 * Offsets processed, summed over the source's partitions (one the instance has not reported yet
 * counts -1, as if nothing of it were processed): differences of two sums count records.
 */
export function processedOf(progress: InstanceProgress, partitions: InstanceProgress): number {
  const key = (o: { topic: string; partition: number }) => `${o.topic}/${o.partition}`;
  const at = new Map(progress.offsets.map((o) => [key(o), o.offset]));
  return partitions.offsets.reduce((sum, o) => sum + Math.max(at.get(key(o)) ?? -1, -1), 0);
}

export interface ReplaySummary {
  firstRecordMs?: number;
  replayedRecords: number;
  replayPerSec?: number;
  inputPerSec?: number;
}

/**
 * What the catch-up watch learns of a replay from its status polls: when the restored copy
 * processed its first record (the first poll showing it past the first reading), and how fast
 * it replays against how fast the source takes input. A shadow that yields its CPU to the
 * source must still replay several times faster than input arrives, or it never catches up.
 */
export class ReplayMeter {
  private first: { at: number; source: number; shadow: number } | undefined;
  private last: { at: number; source: number; shadow: number } | undefined;
  private firstRecordAt: number | undefined;

  /** `started`: when the copy was restored (the watch's start). */
  constructor(private readonly started: number) {}

  observe(now: number, source: InstanceProgress, shadow: InstanceProgress): void {
    const reading = {
      at: now,
      source: processedOf(source, source),
      shadow: processedOf(shadow, source),
    };
    this.first ??= reading;
    if (this.firstRecordAt === undefined && reading.shadow > this.first.shadow) {
      this.firstRecordAt = now;
    }
    this.last = reading;
  }

  summary(): ReplaySummary {
    const { first, last } = this;
    if (!first || !last) return { replayedRecords: 0 };
    const seconds = (last.at - first.at) / 1000;
    const replayed = Math.max(0, last.shadow - first.shadow);
    return {
      ...(this.firstRecordAt !== undefined && { firstRecordMs: this.firstRecordAt - this.started }),
      replayedRecords: replayed,
      ...(seconds > 0 && {
        replayPerSec: replayed / seconds,
        inputPerSec: Math.max(0, last.source - first.source) / seconds,
      }),
    };
  }
}
