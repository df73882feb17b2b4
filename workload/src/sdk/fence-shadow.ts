import { type DataOf, type FenceAborted, type FenceCut, FencePassed } from "@shadow/events";
import type { TraceContext } from "../control/channel.ts";
import type { HandoverTiming, PartitionOffset, PendingOutput } from "../types.ts";
import { type FenceBase, type FenceHost, fenceBase } from "./fence-host.ts";
import { CutIndex } from "./held-back.ts";

/**
 * The shadow's side of the fence. Outputs of records at or below the source's cut were the
 * source's to produce and are dropped; those beyond it are held until the shadow's own
 * FencePassed comes back from the control log with no FenceAborted before it. The log's
 * order is the one both sides see, so a rollback racing the pass can never leave two
 * primaries or a gap: whichever event is first in the log wins, for everyone.
 */
export class ShadowFence {
  timing: HandoverTiming | null = null;
  private cut: CutIndex | undefined;
  /** The source's last committed progress: its outputs up to there are acknowledged. */
  private sourceProgress: CutIndex | undefined;
  private base: FenceBase | undefined;
  private trace: TraceContext = {};
  private readonly aborted = new Set<string>();
  private readonly host: FenceHost;
  private readonly sourceInstance: () => string | undefined;

  constructor(host: FenceHost, sourceInstance: () => string | undefined) {
    this.host = host;
    this.sourceInstance = sourceInstance;
  }

  get cutKnown(): boolean {
    return this.cut !== undefined;
  }

  /**
   * Where a shadow's outputs go: dropped when the cut covers their record (or, before the cut,
   * the source's committed progress: the source produced them), else held. Only a partition
   * where the shadow is ahead of its source adds to the buffer.
   */
  route(outputs: PendingOutput[]): void {
    const { host } = this;
    const covering = this.cut ?? this.sourceProgress;
    let dropped = 0;
    for (const output of outputs) {
      if (covering?.covers(output.input)) dropped += 1;
      else host.held.hold([output]);
    }
    host.counts.discarded += dropped;
    host.counts.held += outputs.length - dropped;
  }

  /**
   * The source's committed progress, read from its group: the source commits an offset only
   * after its outputs were acknowledged, so held outputs at or below it were the source's.
   * Ignored once the cut is known (the cut alone decides from there). Returns how many were
   * dropped.
   */
  sourceProgressed(positions: readonly PartitionOffset[]): number {
    if (this.cut) return 0;
    this.sourceProgress = new CutIndex(positions);
    const discarded = this.host.held.discardUpTo(positions);
    this.host.counts.discarded += discarded;
    return discarded;
  }

  onCut(data: DataOf<typeof FenceCut>, trace: TraceContext = {}): void {
    const { host } = this;
    if (this.timing?.fenceId === data.fenceId || this.aborted.has(data.fenceId)) return;
    if (host.getMode() !== "shadow") {
      host.log.warn(
        { migrationId: data.migrationId, mode: host.getMode() },
        "FenceCut ignored: not a shadow",
      );
      return;
    }
    const source = this.sourceInstance();
    if (source !== undefined && source !== data.instance) {
      host.log.warn(
        { migrationId: data.migrationId, cutFrom: data.instance, source },
        "cut from an unexpected source",
      );
    }
    this.cut = new CutIndex(data.cut);
    this.base = fenceBase(data);
    this.trace = trace;
    const discarded = host.held.discardUpTo(data.cut);
    host.counts.discarded += discarded;
    this.timing = {
      fenceId: data.fenceId,
      migrationId: data.migrationId,
      pausedAt: data.pausedAt,
      cutReceivedAt: new Date(host.now()).toISOString(),
      discardedAtCut: discarded,
      releasedAtSwitch: 0,
    };
    host.log.info(
      {
        migrationId: data.migrationId,
        cut: data.cut,
        behind: host.progress.behind(data.cut),
        discarded,
      },
      "cut received",
    );
    host.updateFlow();
    this.checkPassed();
  }

  /** After every processed record: publish FencePassed once past the cut everywhere. */
  checkPassed(): void {
    const { host, cut, timing, base } = this;
    if (!cut || !timing || !base || timing.passedAt || host.getMode() !== "shadow") return;
    if (!host.progress.passed(cut.entries)) return;
    timing.passedAt = new Date(host.now()).toISOString();
    const epoch = host.epoch();
    void host.publish(
      {
        ...this.trace,
        type: FencePassed.type,
        data: {
          ...base,
          instance: host.currentIdentity().instance,
          cut: cut.entries,
          pausedAt: timing.pausedAt,
          passedAt: timing.passedAt,
        },
      },
      epoch,
    );
  }

  /** Our own FencePassed, read back from the log: from here on this copy is the primary. */
  onPassed(data: DataOf<typeof FencePassed>): void {
    const { host, timing } = this;
    if (!timing || timing.fenceId !== data.fenceId || timing.primaryAt) return;
    if (data.instance !== host.currentIdentity().instance || this.aborted.has(data.fenceId)) return;
    if (host.getMode() !== "shadow") return;
    host.setMode("primary");
    const released = host.held.takeAll();
    host.pipeline.enqueue(released);
    const now = host.now();
    timing.primaryAt = new Date(now).toISOString();
    timing.handoverMs = now - Date.parse(timing.pausedAt);
    timing.releasedAtSwitch = released.length;
    host.updateFlow();
    host.log.info(
      { migrationId: data.migrationId, handoverMs: timing.handoverMs, released: released.length },
      "passed the cut: now primary",
    );
  }

  onAborted(data: DataOf<typeof FenceAborted>): void {
    const { host, timing } = this;
    if (timing?.primaryAt && timing.fenceId === data.fenceId) {
      host.log.warn(
        { migrationId: data.migrationId },
        "FenceAborted after our FencePassed: staying primary",
      );
      return;
    }
    this.aborted.add(data.fenceId);
    if (timing && timing.fenceId !== data.fenceId) return;
    if (host.getMode() !== "shadow") return;
    host.setMode("idle");
    const dropped = host.held.clear();
    host.updateFlow();
    host.log.info(
      { migrationId: data.migrationId, dropped, reason: data.reason },
      "fence aborted: shadow idles",
    );
  }
}
