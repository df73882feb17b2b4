import type { PartitionOffset, WorkloadCounts } from "../types.ts";
import type { HeldBack } from "./held-back.ts";
import type { KafkaSession } from "./kafka-session.ts";
import type { Consumption } from "./mode/state.ts";
import type { OutputPipeline } from "./output-pipeline.ts";
import { type Progress, type TopicPartition, tpKey } from "./progress.ts";

export interface InputFlowOptions {
  /** What the phase lets input do now. */
  consumption(): Consumption;
  /** The highest offset of a partition the phase lets this copy process now; undefined: any. */
  limit(topic: string, partition: number): number | undefined;
  session(): KafkaSession | undefined;
  progress: Progress;
  held: HeldBack;
  pipeline: OutputPipeline;
  counts: WorkloadCounts;
  /**
   * Bound of outputs not yet acknowledged; past it a primary stops consuming until half of them
   * are. Draining a backlog processes records faster than one producer acknowledges them.
   */
  maxPendingOutputs: number;
}

/**
 * Whether input is read, within what the phase allows: a primary pauses while its outputs are
 * backed up, a shadow whose held-back buffer is full pauses the partitions it is ahead on. The
 * phase says whether to consume at all; this only holds back inside that.
 */
export class InputFlow {
  private pausedAll = false;
  /** Set at maxPendingOutputs, cleared at half of it: a primary consumes only while clear. */
  private backedUp = false;
  /**
   * Partitions a shadow stopped reading because its held-back buffer is full and it is ahead of
   * its source there (the partitions where it is behind go on: their outputs are the source's
   * and are dropped, so a full buffer never stalls the catch-up it waits for), or because it
   * processed them up to its bound.
   */
  private readonly aheadPaused = new Map<string, TopicPartition>();
  private readonly options: InputFlowOptions;

  constructor(options: InputFlowOptions) {
    this.options = options;
  }

  /** Input paused as a whole (the status body's `paused`). */
  get paused(): boolean {
    return this.pausedAll;
  }

  /** Whether this record may be processed now. */
  admits(topic: string, partition: number, offset: number): boolean {
    if (this.aheadPaused.has(tpKey(topic, partition))) return false;
    const limit = this.options.limit(topic, partition);
    if (limit !== undefined && offset > limit) {
      // A shadow at its source's progress (or the cut): held there until the bound moves.
      this.update();
      return false;
    }
    return this.consuming();
  }

  /** Applies the pauses to a session that just got its partitions. */
  applyTo(session: KafkaSession): void {
    if (this.pausedAll) session.pauseInput();
    else session.pausePartitions([...this.aheadPaused.values()]);
  }

  /** After a record: a primary checks its output bound, a shadow its buffer. */
  afterProcessed(): void {
    const { consumption, pipeline, held, maxPendingOutputs } = this.options;
    const now = consumption();
    if (now === "produce") {
      if (!this.backedUp && pipeline.pending >= maxPendingOutputs) this.update();
    } else if (now === "hold" && (held.full || this.atLimit().length > 0)) this.update();
  }

  /** The assigned partitions processed up to the phase's bound: read no further for now. */
  private atLimit(): TopicPartition[] {
    const { progress, limit } = this.options;
    return progress.assigned.filter(({ topic, partition }) => {
      const bound = limit(topic, partition);
      return bound !== undefined && (progress.last(topic, partition) ?? -1) >= bound;
    });
  }

  /** Outputs were acknowledged or dropped: a backed-up primary may read again. */
  outputsSettled(): void {
    if (this.backedUp) this.update();
  }

  update(): void {
    const want = this.consuming();
    const session = this.options.session();
    if (!want) {
      if (!this.pausedAll) {
        this.pausedAll = true;
        session?.pauseInput();
      }
      // Pausing the whole topic overrides per-partition pauses; resuming it seeks every one.
      this.aheadPaused.clear();
      return;
    }
    if (this.pausedAll) {
      this.pausedAll = false;
      session?.resumeInput(this.nextPositions(this.options.progress.assigned));
    }
    this.updateAheadPause(session);
  }

  private consuming(): boolean {
    const now = this.options.consumption();
    if (now === "produce") return this.outputRoom();
    return now === "hold";
  }

  /** Whether a primary has room for more outputs; stops at the bound, resumes at half of it. */
  private outputRoom(): boolean {
    const { pipeline, maxPendingOutputs, counts } = this.options;
    const pending = pipeline.pending;
    if (pending >= maxPendingOutputs && !this.backedUp) {
      this.backedUp = true;
      counts.outputPauses += 1;
    } else if (pending <= maxPendingOutputs / 2) this.backedUp = false;
    return !this.backedUp;
  }

  /**
   * While a shadow's buffer is full, reads only the partitions it is not ahead on; and never
   * reads a partition it processed up to its bound (its source's progress, or the cut).
   */
  private updateAheadPause(session: KafkaSession | undefined): void {
    const { consumption, held } = this.options;
    const hold = consumption() === "hold";
    const ahead = [
      ...(hold && held.full ? held.partitions() : []),
      ...(hold ? this.atLimit() : []),
    ];
    const stay = new Set(ahead.map(({ topic, partition }) => tpKey(topic, partition)));
    const resume: TopicPartition[] = [];
    for (const [key, tp] of this.aheadPaused) {
      if (stay.has(key)) continue;
      this.aheadPaused.delete(key);
      resume.push(tp);
    }
    const pause: TopicPartition[] = [];
    for (const tp of ahead) {
      const key = tpKey(tp.topic, tp.partition);
      if (this.aheadPaused.has(key)) continue;
      this.aheadPaused.set(key, tp);
      pause.push(tp);
    }
    session?.pausePartitions(pause);
    // A partition paused before any of it was delivered (at a bound of nothing, or before its
    // source's progress was read) has no position to go back to, and still must be resumed:
    // left out, it stayed paused for good (a shadow that never read a partition its source then
    // moved on).
    session?.resumePartitions(
      resume.map((tp) => {
        const next = this.options.progress.next(tp.topic, tp.partition);
        return next === undefined ? tp : { ...tp, offset: next };
      }),
    );
  }

  /** Where each partition continues: right after what was processed there. */
  nextPositions(partitions: readonly TopicPartition[]): PartitionOffset[] {
    const positions: PartitionOffset[] = [];
    for (const { topic, partition } of partitions) {
      const next = this.options.progress.next(topic, partition);
      if (next !== undefined) positions.push({ topic, partition, offset: next });
    }
    return positions;
  }
}
