import { IdentitySwapRequested, MigrationRequested } from "@shadow/events";
import type { CheckpointDeps } from "./deps.ts";
import { onIdentitySwapRequested } from "./handlers/identity-swap-requested.ts";
import { onMigrationRequested } from "./handlers/migration-requested.ts";

export const serviceName = "checkpoint-svc";

/** checkpoint-svc: dumps the `from` side of every handoff. */
export function createCheckpointService(deps: CheckpointDeps) {
  return {
    [MigrationRequested.type]: (e: Parameters<typeof onMigrationRequested>[0]) =>
      onMigrationRequested(e, deps),
    [IdentitySwapRequested.type]: (e: Parameters<typeof onIdentitySwapRequested>[0]) =>
      onIdentitySwapRequested(e, deps),
  };
}
