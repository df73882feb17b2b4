import { type Handlers, IdentitySwapRequested, MigrationRequested } from "@shadow/events";
import type { CheckpointDeps } from "./deps.ts";
import { onIdentitySwapRequested } from "./handlers/identity-swap-requested.ts";
import { onMigrationRequested } from "./handlers/migration-requested.ts";

export const serviceName = "checkpoint-svc";

/** checkpoint-svc: dumps the `from` side of every handoff. */
export const checkpointHandlers: Handlers<CheckpointDeps> = {
  [MigrationRequested.type]: onMigrationRequested,
  [IdentitySwapRequested.type]: onIdentitySwapRequested,
};
