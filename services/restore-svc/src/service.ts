import {
  CheckpointImageReady,
  type Handlers,
  MigrationFailed,
  ShadowRestored,
} from "@shadow/events";
import type { RestoreDeps } from "./deps.ts";
import { onCheckpointImageReady } from "./handlers/checkpoint-image-ready.ts";
import { onLateImage } from "./handlers/late-image.ts";
import { onMigrationFailed } from "./handlers/migration-failed.ts";
import { onShadowRestored } from "./handlers/shadow-restored.ts";

export const serviceName = "restore-svc";

/** restore-svc: starts the copy, watches it catch up, and removes it if the migration fails. */
export const restoreHandlers: Handlers<RestoreDeps> = {
  [CheckpointImageReady.type]: onCheckpointImageReady,
  [ShadowRestored.type]: onShadowRestored,
  [MigrationFailed.type]: onMigrationFailed,
};

/** For images whose migration failed or ended before them (see LedgerGate). */
export const restoreAfterEnd: Handlers<RestoreDeps> = {
  [CheckpointImageReady.type]: onLateImage,
};
