import type { CheckpointCreated, IncomingEvent, OutgoingEvent } from "@shadow/events";
import type { ImageDeps } from "../deps.ts";

/**
 * A checkpoint taken after its migration failed or ended (the dump outlasted the step's
 * deadline, say): no image will be built from it, so it is released here, as the rollback
 * would have. Releasing twice is harmless, so a replay of it is too.
 */
export async function onLateCheckpoint(
  event: IncomingEvent<typeof CheckpointCreated.type>,
  deps: ImageDeps,
): Promise<OutgoingEvent[]> {
  await deps.runtime.release(event.data.migrationId);
  return [];
}
