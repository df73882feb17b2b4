import { CheckpointCreated, type Handlers, MigrationCompleted, RolledBack } from "@shadow/events";
import type { ImageDeps } from "./deps.ts";
import { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
import { onLateCheckpoint } from "./handlers/late-checkpoint.ts";
import { onMigrationEnded } from "./handlers/migration-ended.ts";

export const serviceName = "image-svc";

/**
 * image-svc: gets every checkpoint to its target (streamed, or as an OCI checkpoint image), and
 * archives a migration's streamed dumps as OCI images once it has ended.
 */
export const imageHandlers: Handlers<ImageDeps> = {
  [CheckpointCreated.type]: onCheckpointCreated,
  [MigrationCompleted.type]: onMigrationEnded,
  [RolledBack.type]: onMigrationEnded,
};

/** For checkpoints whose migration failed or ended before them (see LedgerGate). */
export const imageAfterEnd: Handlers<ImageDeps> = {
  [CheckpointCreated.type]: onLateCheckpoint,
};
