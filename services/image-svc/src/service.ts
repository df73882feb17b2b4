import { CheckpointCreated } from "@shadow/events";
import type { ImageDeps } from "./deps.ts";
import { onCheckpointCreated } from "./handlers/checkpoint-created.ts";

export const serviceName = "image-svc";

/** image-svc: turns every checkpoint into an OCI checkpoint image on the target's reach. */
export function createImageService(deps: ImageDeps) {
  return {
    [CheckpointCreated.type]: (e: Parameters<typeof onCheckpointCreated>[0]) =>
      onCheckpointCreated(e, deps),
  };
}
