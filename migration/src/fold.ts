import {
  CheckpointArchived,
  CheckpointCreated,
  CheckpointImageReady,
  FenceCompleted,
  IdentitySwapRequested,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationFailed,
  MigrationRejected,
  MigrationRequested,
  RolledBack,
  ShadowCaughtUp,
  ShadowRestored,
  SourceDrained,
  SourceLost,
} from "@shadow/events";
import { firstHandoff } from "./first-handoff.ts";
import type { Phase, PhaseTiming } from "./phase.ts";
import type { MigrationView, StepWork } from "./view.ts";

/** The part of a CloudEvent the fold needs. */
export interface FoldableEvent {
  id: string;
  type: string;
  time: string;
  data: unknown;
  traceparent?: string;
}

function traceIdOf(traceparent: string | undefined): string | undefined {
  // W3C trace context: version-traceid-spanid-flags
  const parts = traceparent?.split("-");
  return parts && parts.length === 4 ? parts[1] : undefined;
}

function startPhase(view: MigrationView, round: 1 | 2, phase: Phase, at: string): void {
  if (view.phases.some((p) => p.round === round && p.phase === phase)) return;
  view.phases.push({ round, phase, startedAt: at });
  view.round = round;
  view.phase = phase;
}

function recordWork(view: MigrationView, round: 1 | 2, work: Omit<StepWork, "round">): void {
  const entry = view.work.find((w) => w.round === round);
  if (entry) Object.assign(entry, work);
  else view.work.push({ round, ...work });
}

/** Ends a phase under way; returns it, or nothing when it was not under way. */
function endPhase(
  view: MigrationView,
  round: 1 | 2,
  phase: Phase,
  at: string,
): PhaseTiming | undefined {
  const timing = view.phases.find((p: PhaseTiming) => p.round === round && p.phase === phase);
  if (!timing || timing.endedAt) return undefined;
  timing.endedAt = at;
  timing.ms = Date.parse(at) - Date.parse(timing.startedAt);
  return timing;
}

function endOutage(view: MigrationView, at: string): void {
  const outage = view.outage;
  if (!outage || outage.endedAt) return;
  outage.endedAt = at;
  outage.ms = Math.max(0, Date.parse(at) - Date.parse(outage.startedAt));
}

/**
 * Folds one event into a migration's view. Pure apart from mutating `view`; returns the view
 * (a new one for MigrationRequested). Events of other types are ignored, so the fold can read
 * the migrations topic as it is.
 */
export function applyEvent(
  view: MigrationView | undefined,
  event: FoldableEvent,
): MigrationView | undefined {
  if (event.type === MigrationRequested.type) {
    if (view) return view;
    const d = MigrationRequested.schema.parse(event.data);
    const handoff = firstHandoff(d);
    const fresh: MigrationView = {
      migrationId: d.migrationId,
      workload: d.workload,
      strategy: d.strategy,
      identitySwap: d.identitySwap,
      source: d.source,
      targetNode: d.targetNode,
      ...(d.nameRestore ? { nameRestore: true } : {}),
      status: "pending",
      round: handoff.round,
      phase: "checkpoint",
      phases: [],
      work: [],
      requestedAt: d.requestedAt,
      updatedAt: event.time,
      handoff,
    };
    const traceId = traceIdOf(event.traceparent);
    if (traceId) fresh.traceId = traceId;
    return fresh;
  }
  if (!view) return view;
  view.updatedAt = event.time;
  const carried = (event.data as { handoff?: MigrationView["handoff"] } | null)?.handoff;
  if (carried) view.handoff = carried;
  const at = event.time;
  switch (event.type) {
    case MigrationAdmitted.type: {
      if (view.status !== "pending") break;
      view.status = "running";
      startPhase(view, view.round, "checkpoint", at);
      break;
    }
    case MigrationRejected.type: {
      const d = MigrationRejected.schema.parse(event.data);
      reject(view, {
        code: d.code,
        reason: d.reason,
        ...(d.runningMigrationId ? { runningMigrationId: d.runningMigrationId } : {}),
      });
      break;
    }
    case CheckpointCreated.type: {
      const d = CheckpointCreated.schema.parse(event.data);
      endPhase(view, d.handoff.round, "checkpoint", at);
      startPhase(view, d.handoff.round, "image", at);
      // The longest freeze of any round: each is an interruption of whoever served then.
      view.checkpointPauseMs = Math.max(view.checkpointPauseMs ?? 0, d.pauseMs);
      view.dumpBytes = Math.max(view.dumpBytes ?? 0, d.sizeBytes);
      recordWork(view, d.handoff.round, {
        dumpMs: d.dumpMs,
        pauseMs: d.pauseMs,
        ...(d.frozenAt !== undefined ? { frozenAt: d.frozenAt } : {}),
      });
      // The sequential dump stops its source: nothing serves from the freeze on.
      if (view.strategy === "sequential") view.outage ??= { startedAt: d.frozenAt ?? at };
      break;
    }
    case CheckpointImageReady.type: {
      const d = CheckpointImageReady.schema.parse(event.data);
      endPhase(view, d.handoff.round, "image", at);
      startPhase(view, d.handoff.round, "restore", at);
      recordWork(view, d.handoff.round, {
        buildMs: d.buildMs,
        transferMs: d.transferMs,
        imageBytes: d.sizeBytes,
        transfer: d.transfer,
        imageRef: d.imageRef,
      });
      break;
    }
    case ShadowRestored.type: {
      const d = ShadowRestored.schema.parse(event.data);
      endPhase(view, d.handoff.round, "restore", at);
      // A sequential copy is restored as the primary: it serves from here.
      if (view.strategy === "sequential") endOutage(view, at);
      startPhase(view, d.handoff.round, "catch-up", at);
      // A redelivered restore that found its copy already there reports 0: nothing measured.
      if (d.restoreMs > 0) {
        recordWork(view, d.handoff.round, {
          runtimeRestoreMs: d.restoreMs,
          ...(d.pullMs !== undefined ? { pullMs: d.pullMs } : {}),
          ...(d.criuMs !== undefined ? { criuRestoreMs: d.criuMs } : {}),
          ...(d.preflightMs !== undefined ? { restorePreflightMs: d.preflightMs } : {}),
          ...(d.placeMs !== undefined ? { restorePlaceMs: d.placeMs } : {}),
        });
      }
      if (d.postCopy) recordWork(view, d.handoff.round, { postCopy: true });
      break;
    }
    case ShadowCaughtUp.type: {
      const d = ShadowCaughtUp.schema.parse(event.data);
      endPhase(view, d.handoff.round, "catch-up", at);
      startPhase(view, d.handoff.round, "fence", at);
      view.lagBehindSource = d.lagBehindSource;
      recordWork(view, d.handoff.round, {
        shadow: d.handoff.to,
        caughtUpAt: at,
        lagBehindSource: d.lagBehindSource,
      });
      if (d.sourceCpuLimit !== undefined)
        recordWork(view, d.handoff.round, { sourceCpuLimit: d.sourceCpuLimit });
      if (d.sourceLost) recordWork(view, d.handoff.round, { sourceLostAt: at });
      const replay = {
        firstRecordMs: d.firstRecordMs,
        replayedRecords: d.replayedRecords,
        replayPerSec: d.replayPerSec,
        inputPerSec: d.inputPerSec,
        memoryMs: d.memoryMs,
        fenceEstimateMs: d.fenceEstimateMs,
        fenceBudgetMs: d.fenceBudgetMs,
        forcedFence: d.forcedFence,
      };
      recordWork(
        view,
        d.handoff.round,
        Object.fromEntries(Object.entries(replay).filter(([, v]) => v !== undefined)),
      );
      break;
    }
    case SourceLost.type: {
      // Only while its fence is under way: after FenceCompleted the source's end is the drain's.
      const d = SourceLost.schema.parse(event.data);
      if (view.round === d.handoff.round && view.phase === "fence")
        recordWork(view, d.handoff.round, { sourceLostAt: at });
      break;
    }
    case FenceCompleted.type: {
      const d = FenceCompleted.schema.parse(event.data);
      endPhase(view, d.handoff.round, "fence", at);
      startPhase(view, d.handoff.round, "drain", at);
      view.handoverMs = Math.max(view.handoverMs ?? 0, d.handoverMs);
      recordWork(view, d.handoff.round, { handoverMs: d.handoverMs });
      break;
    }
    case SourceDrained.type: {
      const d = SourceDrained.schema.parse(event.data);
      endPhase(view, d.handoff.round, "drain", at);
      break;
    }
    case IdentitySwapRequested.type:
      startPhase(view, 2, "checkpoint", at);
      break;
    case MigrationCompleted.type: {
      const d = MigrationCompleted.schema.parse(event.data);
      view.status = "completed";
      view.phase = "done";
      view.final = d.final;
      view.totalMs = d.totalMs;
      if (d.swapFailure) view.swapFailure = d.swapFailure;
      break;
    }
    case MigrationFailed.type: {
      const d = MigrationFailed.schema.parse(event.data);
      // A failure of a step the log already shows done is too late, as the ledger judges it:
      // no service compensates it, and the migration goes on.
      const failedPhase = d.step === "identity-swap" ? "checkpoint" : d.step;
      const failedRound = d.handoff?.round ?? view.round;
      if (
        view.phases.some(
          (p) => p.round === failedRound && p.phase === failedPhase && p.endedAt && !p.failed,
        )
      )
        break;
      if (view.status === "running") {
        view.status = "failed";
        // The phase under way ends here; left open, it would read as still running after the
        // rollback, and its time (how long until the step gave up) would be lost.
        const failedIn =
          view.phase === "done" ? undefined : endPhase(view, view.round, view.phase, at);
        if (failedIn) failedIn.failed = true;
      }
      view.failure ??= { step: d.step, code: d.code, reason: d.reason };
      break;
    }
    case CheckpointArchived.type: {
      const d = CheckpointArchived.schema.parse(event.data);
      view.archived ??= [];
      if (!view.archived.some((a) => a.imageRef === d.imageRef)) {
        const { imageRef, sizeBytes, buildMs, pushMs } = d;
        view.archived.push({ imageRef, sizeBytes, buildMs, pushMs, at });
      }
      break;
    }
    case RolledBack.type: {
      const d = RolledBack.schema.parse(event.data);
      view.status = "rolled-back";
      view.phase = "done";
      endOutage(view, at);
      view.rollback = {
        reason: d.reason,
        compensated: d.compensated,
        ...(d.servingInstance ? { serving: d.servingInstance } : {}),
      };
      break;
    }
  }
  return view;
}

/** Folds a migration's events, in log order, into its view. */
export function foldMigration(events: readonly FoldableEvent[]): MigrationView | undefined {
  let view: MigrationView | undefined;
  for (const event of events) view = applyEvent(view, event);
  return view;
}

/** Ends a request that was refused: nothing was done for it. */
export function reject(view: MigrationView, rejection: NonNullable<MigrationView["rejection"]>) {
  if (view.status !== "pending") return;
  view.status = "rejected";
  view.phase = "done";
  view.rejection = rejection;
}

/** Under way: waiting for its verdict, running, or compensating a failure. */
export function isActive(view: MigrationView): boolean {
  return view.status === "pending" || view.status === "running" || view.status === "failed";
}

/** Nothing more will happen to it: completed, rolled back or refused. */
export function hasEnded(view: Pick<MigrationView, "status">): boolean {
  return view.status === "completed" || view.status === "rolled-back" || view.status === "rejected";
}
