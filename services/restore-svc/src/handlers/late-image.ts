import type { CheckpointImageReady, IncomingEvent, OutgoingEvent } from "@shadow/events";
import type { RestoreDeps } from "../deps.ts";

/**
 * An image delivered after its migration failed or ended (image-svc finished it after the
 * rollback had released what there was): nothing will restore it, so it is released here, as the
 * rollback would have. Releasing twice is harmless, so a replay of it is too.
 */
export async function onLateImage(
  event: IncomingEvent<typeof CheckpointImageReady.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  await deps.runtime.release(event.data.migrationId);
  return [];
}
