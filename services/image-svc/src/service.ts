import { CheckpointCreated, type Handlers } from "@shadow/events";
import type { ImageDeps } from "./deps.ts";
import { onCheckpointCreated } from "./handlers/checkpoint-created.ts";

export const serviceName = "image-svc";

/** image-svc: turns every checkpoint into an OCI checkpoint image within the target's reach. */
export const imageHandlers: Handlers<ImageDeps> = {
  [CheckpointCreated.type]: onCheckpointCreated,
};
