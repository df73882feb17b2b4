import { type Handlers, IdentitySwapRequested, MigrationAdmitted } from "@shadow/events";
import type { CheckpointDeps } from "./deps.ts";
import { onIdentitySwapRequested } from "./handlers/identity-swap-requested.ts";
import { onMigrationAdmitted } from "./handlers/migration-admitted.ts";

export const serviceName = "checkpoint-svc";

/** checkpoint-svc: dumps the `from` side of every handoff. */
export const checkpointHandlers: Handlers<CheckpointDeps> = {
  [MigrationAdmitted.type]: onMigrationAdmitted,
  [IdentitySwapRequested.type]: onIdentitySwapRequested,
};
