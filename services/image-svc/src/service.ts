import { CheckpointCreated, type Handlers } from "@shadow/events";
import type { ImageDeps } from "./deps.ts";
import { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
import { onLateCheckpoint } from "./handlers/late-checkpoint.ts";

export const serviceName = "image-svc";

/** image-svc: turns every checkpoint into an OCI checkpoint image within the target's reach. */
export const imageHandlers: Handlers<ImageDeps> = {
  [CheckpointCreated.type]: onCheckpointCreated,
};

/** For checkpoints whose migration failed or ended before them (see LedgerGate). */
export const imageAfterEnd: Handlers<ImageDeps> = {
  [CheckpointCreated.type]: onLateCheckpoint,
};
