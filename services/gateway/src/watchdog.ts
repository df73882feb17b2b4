import { type migrationStep, type OutgoingEvent, TerminalError } from "@shadow/events";
import { failed, type MigrationView, type Phase, stepDeadlineMs } from "@shadow/migration";
import type { z } from "zod";

/** A step that did not finish within its deadline; carries the migration id like every error. */
export class StepTimeoutError extends TerminalError {
  constructor(migrationId: string, phase: Phase, ms: number) {
    super(`${phase} did not finish within ${Math.round(ms / 1000)} s`, {
      migrationId,
      code: "STEP_TIMEOUT",
    });
  }
}

function stepOf(round: 1 | 2, phase: Phase): z.infer<typeof migrationStep> {
  return round === 2 && phase === "checkpoint" ? "identity-swap" : phase;
}

/**
 * The MigrationFailed events owed by migrations whose current step has run past its deadline:
 * a service that died for good, or a step that hangs, must not hold a workload in "migrating"
 * forever. The failure starts the usual compensations, so the workload ends rolled back.
 * Pure: the gateway calls it on a timer with its projection.
 */
export function overdueSteps(
  views: readonly MigrationView[],
  now: number,
  baseDeadlineMs: number,
): OutgoingEvent[] {
  const owed: OutgoingEvent[] = [];
  for (const view of views) {
    if (view.status !== "running" || view.phase === "done") continue;
    const current = view.phases.find(
      (p) => p.round === view.round && p.phase === view.phase && !p.endedAt,
    );
    if (!current) continue;
    const elapsed = now - Date.parse(current.startedAt);
    if (elapsed <= stepDeadlineMs(current.phase, baseDeadlineMs)) continue;
    owed.push(
      failed(
        { ...view, handoff: view.handoff },
        stepOf(view.round, current.phase),
        new StepTimeoutError(view.migrationId, current.phase, elapsed),
      ),
    );
  }
  return owed;
}
