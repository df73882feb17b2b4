import {
  type CheckpointImageReady,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  ShadowRestored,
} from "@shadow/events";
import { baseOf, runStep } from "@shadow/migration";
import type { RestoreDeps } from "../deps.ts";
import { restoredIdentity } from "../identity.ts";

/**
 * Starts the `to` side of the handoff from the image. The runtime's restore preflights first:
 * a target that cannot run the image is refused before anything is created there.
 */
export async function onCheckpointImageReady(
  event: IncomingEvent<typeof CheckpointImageReady.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const existing = await deps.runtime.inspect(d.handoff.to.instance);
  if (existing) {
    // Redelivered after a crash that followed the restore: the copy is already there.
    return [
      outgoing(ShadowRestored, {
        ...baseOf(d),
        handoff: d.handoff,
        imageRef: d.imageRef,
        restoreMs: 0,
        ...(existing.pages !== undefined ? { postCopy: true } : {}),
        ...(d.pauseMs !== undefined ? { pauseMs: d.pauseMs } : {}),
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
  const step = { step: "restore", phase: "restore", startedAt: event.time } as const;
  return runStep(deps.step, { ...step, data: d }, async () => {
    const restored = await deps.runtime.restore(image, d.handoff.to.node, {
      migrationId: d.migrationId,
      identity: restoredIdentity(d),
    });
    return [
      outgoing(ShadowRestored, {
        ...baseOf(d),
        handoff: d.handoff,
        imageRef: d.imageRef,
        restoreMs: restored.restoreMs,
        ...(restored.breakdown
          ? {
              pullMs: restored.breakdown.pullMs,
              criuMs: restored.breakdown.criuMs,
              preflightMs: restored.breakdown.preflightMs,
              placeMs: restored.breakdown.placeMs,
            }
          : {}),
        ...(restored.pages !== undefined ? { postCopy: true } : {}),
        ...(d.pauseMs !== undefined ? { pauseMs: d.pauseMs } : {}),
      }),
    ];
  });
}
