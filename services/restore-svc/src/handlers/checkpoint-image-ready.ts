import { type CheckpointImageReady, ShadowRestored } from "@shadow/events";
import { baseOf, emit, failed, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import type { RestoreDeps } from "../deps.ts";
import { restoredIdentity } from "../identity.ts";

type Data = z.infer<typeof CheckpointImageReady.schema>;

/**
 * Starts the `to` side of the handoff from the image. Preflight first: a target that cannot
 * run the image is refused before anything is created there.
 */
export async function onCheckpointImageReady(
  event: Incoming<Data>,
  deps: RestoreDeps,
): Promise<Outgoing[]> {
  const d = event.data;
  const existing = await deps.runtime.inspect(d.handoff.to.instance);
  if (existing) {
    // Redelivered after a crash that followed the restore: the copy is already there.
    return [
      emit(ShadowRestored, {
        ...baseOf(d),
        handoff: d.handoff,
        imageRef: d.imageRef,
        restoreMs: 0,
      }),
    ];
  }
  const image = {
    ref: d.imageRef,
    digest: d.digest,
    sizeBytes: d.sizeBytes,
    encrypted: true,
    buildMs: d.buildMs,
    transferMs: d.transferMs,
    transfer: d.transfer,
  };
  try {
    const from = await deps.runtime.inspect(d.handoff.from.instance);
    await deps.runtime.preflight(image, d.handoff.to.node);
    const restored = await deps.runtime.restore(image, d.handoff.to.node, {
      migrationId: d.migrationId,
      identity: restoredIdentity(d, from?.identity.incarnation ?? 0),
    });
    return [
      emit(ShadowRestored, {
        ...baseOf(d),
        handoff: d.handoff,
        imageRef: d.imageRef,
        restoreMs: restored.restoreMs,
      }),
    ];
  } catch (error) {
    return [failed(d, "restore", error)];
  }
}
