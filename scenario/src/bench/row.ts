import type { Phase } from "@shadow/migration";
import type { ScenarioReport } from "../report.ts";
import { placeOf } from "../stall.ts";
import type { BenchCell } from "./grid.ts";

/** One run's figures, flat, as the tables and the JSON file carry them. */
export interface BenchRow extends BenchCell {
  status: string;
  /** Why a run did not complete (the migration's failure), if it did not. */
  failure?: string;
  totalMs: number;
  phases: Partial<Record<Phase, number>>;
  identitySwapMs: number;
  /** Round 1's work as the steps measured it: build, transfer (push + pull), CRIU restore. */
  buildMs: number;
  transferMs: number;
  pullMs: number;
  criuRestoreMs: number;
  /** The runtime's restore (preflight, pull, place, CRIU, record) and two of its steps. */
  runtimeRestoreMs?: number;
  restorePreflightMs?: number;
  restorePlaceMs?: number;
  /** The source's CPU cap when the shadow caught up, if auto-converge set one. */
  sourceCpuLimit?: number;
  imageBytes: number;
  /** Round 1: how the dump travelled and whether the copy ran post-copy; the largest dump. */
  transfer?: string;
  dumpBytes?: number;
  postCopy?: boolean;
  /** Post-copy: from the restore until every page had arrived. */
  memoryMs?: number;
  /** From the restore to the shadow's first processed record (to within a status poll). */
  firstRecordMs?: number;
  /** The shadow's replay rate in catch-up, and the source's input rate meanwhile (records/s). */
  replayPerSec?: number;
  inputPerSec?: number;
  /** The identity swap's second checkpoint: how long the serving copy was frozen. */
  swapPauseMs?: number;
  /** The fence's estimated cost, and whether a stalled lag forced it (above capacity). */
  fenceEstimateMs?: number;
  forcedFence?: boolean;
  checkpointPauseMs: number;
  handoverMs: number;
  lagAtFence: number;
  downtimeProbeMs: number;
  /** Where the longest probe outage began: round, phase and ms into that phase. */
  downtimeProbeIn?: string;
  /** Why the probes of the longest outage went unanswered (refused, timed out, none listed). */
  downtimeProbeWhy?: string;
  /**
   * The design's message-level downtime: the longest stretch, from the migration on and outside
   * the checkpoint freezes, in which an input waited while no copy of the workload consumed.
   */
  downtimeMessageMs: number;
  /** Where that stretch began, if there was one. */
  downtimeMessageIn?: string;
  /**
   * Stricter: the longest stretch in which an input waited and nothing at all was processed,
   * beyond the steady state's p99 of such gaps (a copy up but slowed counts here).
   */
  processingGapMs: number;
  /** The same gap beyond the steady state's own longest, which it exceeds by chance alone. */
  processingGapBeyondSteadyLongestMs: number;
  /** Where that gap began, when it went beyond steady state. */
  processingGapIn?: string;
  /** No output appeared while an input waited, beyond steady state: freezes and handover in. */
  stallMs: number;
  /** The longest stretch with input waiting and nothing processed (freeze out), not less steady. */
  longestStallMs: number;
  /** Where it began: round, phase and ms into that phase. */
  longestStallIn?: string;
  /** What caused it, as far as the run could tell (handover, fenced copy, broker…). */
  longestStallCause?: string;
  maxExtraDelayMs: number;
  /** Where the input behind it was sent: round, phase and ms into that phase. */
  maxDelayedIn?: string;
  lost: number;
  /**
   * False when the serving primary had not processed every input (or had outputs in flight)
   * when the outputs were read: what it still owed counts in `lost`.
   */
  drained?: boolean;
  duplicated: number;
  reordered: number;
  /**
   * The example's state invariants broken in the run: wrong balances plus `outSeq` numbers
   * given twice, skipped or inconsistent between a duplicate and its first copy.
   */
  stateViolations: number;
  sent: number;
}

/** Round 1's phases are the handoff; round 2 (identity swap) is summed into `identitySwapMs`. */
export function rowOf(cell: BenchCell, r: ScenarioReport): BenchRow {
  const phases: Partial<Record<Phase, number>> = {};
  let identitySwapMs = 0;
  for (const p of r.migration.phases) {
    if (p.ms === undefined) continue;
    if (p.round === 1) phases[p.phase] = p.ms;
    else identitySwapMs += p.ms;
  }
  const work = r.migration.work?.find((w) => w.round === 1);
  const swap = r.migration.work?.find((w) => w.round === 2);
  const optional = {
    transfer: work?.transfer,
    dumpBytes: r.migration.dumpBytes,
    postCopy: work?.postCopy,
    memoryMs: work?.memoryMs,
    firstRecordMs: work?.firstRecordMs,
    replayPerSec: work?.replayPerSec,
    inputPerSec: work?.inputPerSec,
    swapPauseMs: swap?.pauseMs,
    fenceEstimateMs: work?.fenceEstimateMs,
    forcedFence: work?.forcedFence,
  };
  const maxDelayedIn = placeOf(r.migration, r.verify.maxDelayed?.sentAt);
  const downtimeProbeIn =
    r.probe.longestOutageMs > 0 ? placeOf(r.migration, r.probe.longestOutage?.from) : undefined;
  const downtimeMessageIn =
    r.verify.downtime.longest.ms > 0
      ? placeOf(r.migration, r.verify.downtime.longest.from)
      : undefined;
  const gap = r.verify.processingGap;
  const processingGapIn =
    gap.beyondSteadyMs > 0 ? placeOf(r.migration, gap.longest.from) : undefined;
  return {
    ...cell,
    buildMs: work?.buildMs ?? Number.NaN,
    transferMs: (work?.transferMs ?? Number.NaN) + (work?.pullMs ?? 0),
    pullMs: work?.pullMs ?? Number.NaN,
    criuRestoreMs: work?.criuRestoreMs ?? Number.NaN,
    ...(work?.runtimeRestoreMs !== undefined ? { runtimeRestoreMs: work.runtimeRestoreMs } : {}),
    ...(work?.restorePreflightMs !== undefined
      ? { restorePreflightMs: work.restorePreflightMs }
      : {}),
    ...(work?.restorePlaceMs !== undefined ? { restorePlaceMs: work.restorePlaceMs } : {}),
    ...(work?.sourceCpuLimit !== undefined ? { sourceCpuLimit: work.sourceCpuLimit } : {}),
    imageBytes: work?.imageBytes ?? Number.NaN,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    status: r.migration.status,
    ...(r.migration.failure
      ? { failure: `${r.migration.failure.step}: ${r.migration.failure.reason}` }
      : {}),
    totalMs: r.migration.totalMs ?? Number.NaN,
    phases,
    identitySwapMs,
    checkpointPauseMs: r.migration.checkpointPauseMs ?? Number.NaN,
    handoverMs: r.migration.handoverMs ?? 0,
    lagAtFence: r.migration.lagBehindSource ?? 0,
    downtimeProbeMs: r.probe.longestOutageMs,
    ...(downtimeProbeIn ? { downtimeProbeIn } : {}),
    ...(r.probe.longestOutage ? { downtimeProbeWhy: r.probe.longestOutage.why.join("; ") } : {}),
    downtimeMessageMs: r.verify.downtime.longest.ms,
    ...(downtimeMessageIn ? { downtimeMessageIn } : {}),
    processingGapMs: gap.beyondSteadyMs,
    processingGapBeyondSteadyLongestMs: gap.beyondSteadyLongestMs,
    ...(processingGapIn ? { processingGapIn } : {}),
    stallMs: r.verify.stall.beyondSteadyMs,
    longestStallMs: r.stall.ms,
    ...(r.stall.phase ? { longestStallIn: r.stall.phase } : {}),
    longestStallCause: r.stall.cause,
    maxExtraDelayMs: r.verify.maxExtraDelayMs,
    ...(maxDelayedIn ? { maxDelayedIn } : {}),
    lost: r.verify.lost.count,
    drained: r.drain.drained,
    duplicated: r.verify.duplicated.count,
    reordered: r.verify.reordered.count,
    stateViolations:
      r.verify.balances.wrong +
      r.verify.outSeq.repeated +
      r.verify.outSeq.skipped +
      r.verify.outSeq.inconsistent,
    sent: r.load.sent,
  };
}

/**
 * A run the harness could not finish (it timed out waiting, or a step of the scenario threw):
 * kept in the set with its reason, and with no figures, since nothing was verified.
 */
export function failedRow(cell: BenchCell, error: Error): BenchRow {
  return {
    ...cell,
    status: "harness-error",
    failure: error.message,
    totalMs: Number.NaN,
    phases: {},
    identitySwapMs: 0,
    buildMs: Number.NaN,
    transferMs: Number.NaN,
    pullMs: Number.NaN,
    criuRestoreMs: Number.NaN,
    imageBytes: Number.NaN,
    checkpointPauseMs: Number.NaN,
    handoverMs: Number.NaN,
    lagAtFence: Number.NaN,
    downtimeProbeMs: Number.NaN,
    downtimeMessageMs: Number.NaN,
    processingGapMs: Number.NaN,
    processingGapBeyondSteadyLongestMs: Number.NaN,
    stallMs: Number.NaN,
    longestStallMs: Number.NaN,
    maxExtraDelayMs: Number.NaN,
    lost: Number.NaN,
    duplicated: Number.NaN,
    reordered: Number.NaN,
    stateViolations: Number.NaN,
    sent: Number.NaN,
  };
}
