import type { MigrationView } from "@shadow/migration";
import { traceLink } from "@shadow/otel/trace-link";
import type { MigrationStatus, StatusPhase } from "./resource.ts";

/** Statuses a view can have, the log's admission verdicts included. */
type ViewStatus = MigrationView["status"] | "pending" | "rejected";

/** What the log's admission answered when it refused a request (absent before admission). */
interface Rejection {
  code: string;
  reason: string;
}

const phaseOf: Record<ViewStatus, StatusPhase> = {
  pending: "Requested",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  "rolled-back": "RolledBack",
  rejected: "Rejected",
};

/**
 * A duration or count as the CRD's schema types it (integer): the view measures with
 * performance.now(), and the API server refuses a whole status with one fraction in it.
 */
function whole(value: number): number {
  return Math.round(value);
}

/**
 * A Migration's status from its migration's view (the fold of its events on the log): what
 * `kubectl get migrations` prints and `kubectl describe` shows. Depends on the view alone, so a
 * status written once is not written again until the log says more.
 */
export function statusFromView(
  view: MigrationView,
  o: { generation?: number; traceUiUrl?: string },
): MigrationStatus {
  const viewStatus = view.status as ViewStatus;
  const phase = phaseOf[viewStatus];
  const rejection = (view as { rejection?: Rejection }).rejection;
  const ended = phase === "Completed" || phase === "RolledBack" || phase === "Rejected";
  const downtimeMs = view.outage?.ms ?? (ended && view.strategy === "shadow" ? 0 : undefined);
  const link = view.traceId ? traceLink(o.traceUiUrl, view.traceId) : undefined;
  const status: MigrationStatus = {
    ...(o.generation === undefined ? {} : { observedGeneration: o.generation }),
    phase,
    ...(phase === "Running" && view.phase !== "done"
      ? { step: `${view.round}/${view.phase}` }
      : {}),
    message: messageOf(view, phase, rejection),
    migrationId: view.migrationId,
    workload: view.workload,
    strategy: view.strategy,
    identitySwap: view.identitySwap,
    source: { ...view.source },
    targetNode: view.targetNode,
    ...(view.final ? { final: { ...view.final } } : {}),
    requestedAt: view.requestedAt,
    ...(ended ? { finishedAt: view.updatedAt } : {}),
    ...(view.totalMs === undefined
      ? {}
      : { totalMs: whole(view.totalMs), took: seconds(view.totalMs) }),
    phases: view.phases.map((p) => ({
      round: p.round,
      phase: p.phase,
      startedAt: p.startedAt,
      ...(p.endedAt ? { endedAt: p.endedAt } : {}),
      ...(p.ms === undefined ? {} : { ms: whole(p.ms) }),
      ...(p.failed ? { failed: true } : {}),
    })),
    ...(view.lagBehindSource === undefined ? {} : { lagBehindSource: whole(view.lagBehindSource) }),
    ...(view.checkpointPauseMs === undefined
      ? {}
      : { checkpointPauseMs: whole(view.checkpointPauseMs) }),
    ...(view.handoverMs === undefined ? {} : { handoverMs: whole(view.handoverMs) }),
    ...(downtimeMs === undefined
      ? {}
      : { downtimeMs: whole(downtimeMs), downtime: seconds(downtimeMs) }),
    ...(view.failure ? { failure: { ...view.failure } } : {}),
    ...(view.rollback
      ? {
          rollback: {
            reason: view.rollback.reason,
            compensated: [...view.rollback.compensated],
            ...(view.rollback.serving ? { serving: { ...view.rollback.serving } } : {}),
          },
        }
      : {}),
    ...(rejection ? { rejection: { code: rejection.code, reason: rejection.reason } } : {}),
    ...(view.traceId ? { traceId: view.traceId } : {}),
    ...(link ? { traceLink: link } : {}),
  };
  return status;
}

function messageOf(view: MigrationView, phase: StatusPhase, rejection?: Rejection): string {
  const { from, to } = view.handoff;
  switch (phase) {
    case "Requested":
      return `${view.migrationId} is on the log, waiting for admission`;
    case "Running":
      return view.phase === "done"
        ? `${view.migrationId}: finishing`
        : `round ${view.round}, ${view.phase}: ${from.instance}@${from.node} → ${to.instance}@${to.node}`;
    case "Completed": {
      const where = view.final ? `${view.final.instance} serves on ${view.final.node}` : "done";
      const pause =
        view.checkpointPauseMs === undefined
          ? ""
          : `, checkpoint pause ${whole(view.checkpointPauseMs)} ms`;
      const downtime = view.outage?.ms ?? 0;
      const swap = view.swapFailure ? `; moved, name not restored (${view.swapFailure})` : "";
      return `completed in ${seconds(view.totalMs ?? 0)}: ${where}; downtime ${seconds(downtime)}${pause}${swap}`;
    }
    case "Failed":
      return `failed in ${view.failure?.step ?? "a step"} (${view.failure?.code ?? "?"}): ${view.failure?.reason ?? ""}; rolling back`;
    case "RolledBack": {
      const serving = view.rollback?.serving;
      return `rolled back (${view.rollback?.reason ?? view.failure?.reason ?? "failed"})${serving ? `: ${serving.instance} serves on ${serving.node}` : ""}`;
    }
    case "Rejected":
      return `rejected (${rejection?.code ?? "?"}): ${rejection?.reason ?? ""}`;
    default:
      return phase;
  }
}

/** 12345 → "12.3s": one decimal, as kubectl's columns show durations. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
