import { CheckpointImageReady, MigrationFailed, ShadowRestored } from "@shadow/events";
import type { Incoming } from "@shadow/migration";
import type { RestoreDeps } from "./deps.ts";
import { onCheckpointImageReady } from "./handlers/checkpoint-image-ready.ts";
import { onMigrationFailed } from "./handlers/migration-failed.ts";
import { onShadowRestored } from "./handlers/shadow-restored.ts";

export const serviceName = "restore-svc";

/** restore-svc: starts the copy, watches it catch up, and removes it if the migration fails. */
export function createRestoreService(deps: RestoreDeps) {
  return {
    [CheckpointImageReady.type]: (e: Incoming) => onCheckpointImageReady(e as never, deps),
    [ShadowRestored.type]: (e: Incoming) => onShadowRestored(e as never, deps),
    [MigrationFailed.type]: (e: Incoming) => onMigrationFailed(e as never, deps),
  };
}
