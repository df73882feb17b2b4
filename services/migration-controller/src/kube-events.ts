import type { MigrationStatus } from "./resource.ts";

/** A Kubernetes Event to record, on the Migration and on the pod it moves. */
export interface KubeEventSpec {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

const stepReasons: Record<string, string> = {
  checkpoint: "Checkpoint",
  image: "Image",
  restore: "Restore",
  "catch-up": "CatchUp",
  fence: "Fence",
  drain: "Drain",
};

/**
 * The Events a change of status is worth: the request, each step as it starts, and the end.
 * A pure function of the status before and after, so a status the controller sees again
 * records nothing again. Nothing for a Migration refused before it reached the log: it made
 * nothing happen.
 */
export function eventsBetween(
  before: MigrationStatus | undefined,
  after: MigrationStatus,
): KubeEventSpec[] {
  if (!after.migrationId) return [];
  const events: KubeEventSpec[] = [];
  if (!before?.migrationId) {
    events.push({
      type: "Normal",
      reason: "MigrationRequested",
      note: `${after.migrationId}: ${after.source?.instance}@${after.source?.node} → ${after.targetNode} (${after.strategy}${after.identitySwap ? ", identity swap" : ""})`,
    });
  }
  if (after.step && after.step !== before?.step) {
    const [round, phase = ""] = after.step.split("/");
    events.push({
      type: "Normal",
      reason: stepReasons[phase] ?? "Step",
      note: `${after.migrationId}: round ${round}, ${phase} started`,
    });
  }
  if (after.phase !== before?.phase) {
    const end = endings[after.phase];
    if (end)
      events.push({
        type: end.type,
        reason: end.reason,
        note: `${after.migrationId}: ${after.message ?? ""}`,
      });
  }
  return events;
}

const endings: Partial<Record<MigrationStatus["phase"], Omit<KubeEventSpec, "note">>> = {
  Completed: { type: "Normal", reason: "MigrationCompleted" },
  Failed: { type: "Warning", reason: "MigrationFailed" },
  RolledBack: { type: "Warning", reason: "MigrationRolledBack" },
  Rejected: { type: "Warning", reason: "MigrationRejected" },
};
