import { isActive, type MigrationView } from "@shadow/migration";
import type { MigrationRecord } from "../policy/types.ts";

/** A migration's view, as the policy counts it. */
export function recordOf(view: MigrationView): MigrationRecord {
  const active = isActive(view);
  return {
    migrationId: view.migrationId,
    workload: view.workload,
    sourceNode: view.source.node,
    targetNode: view.targetNode,
    active,
    requestedAt: Date.parse(view.requestedAt),
    ...(active ? {} : { endedAt: Date.parse(view.updatedAt) }),
  };
}
