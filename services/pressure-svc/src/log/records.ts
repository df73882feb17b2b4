import { isActive, type MigrationView } from "@shadow/migration";
import type { MigrationRecord } from "../policy/types.ts";

/**
 * A migration's view, as the policy counts it: under way while the log shows it active; ended
 * (the cooldown counts from then) once it completed or rolled back. A request the log refused
 * moved nothing, so it is neither.
 */
export function recordOf(view: MigrationView): MigrationRecord {
  const active = isActive(view);
  const moved = view.status === "completed" || view.status === "rolled-back";
  return {
    migrationId: view.migrationId,
    workload: view.workload,
    sourceNode: view.source.node,
    targetNode: view.targetNode,
    active,
    requestedAt: Date.parse(view.requestedAt),
    ...(moved ? { endedAt: Date.parse(view.updatedAt) } : {}),
  };
}
