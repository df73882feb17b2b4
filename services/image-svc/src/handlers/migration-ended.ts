import {
  CheckpointArchived,
  type IncomingEvent,
  type MigrationCompleted,
  type OutgoingEvent,
  outgoing,
  type RolledBack,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
import type { ImageDeps } from "../deps.ts";

/**
 * A migration ended (completed, or rolled back): build and push the OCI images of the dumps it
 * streamed, kept for audit and restores later or elsewhere. Done only now so that packing,
 * encrypting and pushing a gigabyte never delays the handoff; a migration whose images went
 * through the registry has nothing left to archive. A redelivered event finds nothing left.
 */
export async function onMigrationEnded(
  event: IncomingEvent<typeof MigrationCompleted.type | typeof RolledBack.type>,
  deps: ImageDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const images = await deps.runtime.archiveImages(d.migrationId);
  return images.map((image) =>
    outgoing(CheckpointArchived, {
      ...baseOf(d),
      imageRef: image.ref,
      digest: image.digest,
      sizeBytes: image.sizeBytes,
      buildMs: image.buildMs,
      pushMs: image.transferMs,
    }),
  );
}
