import {
  type CheckpointCreated,
  CheckpointImageReady,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
} from "@shadow/events";
import { baseOf, runStep } from "@shadow/migration";
import type { ImageDeps } from "../deps.ts";

/** Packs the dump as an OCI checkpoint image and makes it pullable on the target node. */
export async function onCheckpointCreated(
  event: IncomingEvent<typeof CheckpointCreated.type>,
  deps: ImageDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const step = { step: "image", phase: "image", startedAt: event.time } as const;
  // A registry that restarts answers again within seconds: the build is tried again.
  return runStep(deps.step, { ...step, data: d }, async () => {
    const image = await deps.runtime.buildImage(
      {
        id: d.checkpointId,
        migrationId: d.migrationId,
        instance: d.handoff.from.instance,
        node: d.handoff.from.node,
        leftRunning: d.leftRunning,
        pauseMs: d.pauseMs,
        // An event from before the freeze time was reported: its emission bounds the freeze.
        frozenAt: Date.parse(d.frozenAt ?? event.time),
        dumpMs: d.dumpMs,
        sizeBytes: d.sizeBytes,
      },
      d.handoff.to.node,
      { transfer: d.imageTransfer },
    );
    return [
      outgoing(CheckpointImageReady, {
        ...baseOf(d),
        handoff: d.handoff,
        checkpointId: d.checkpointId,
        imageRef: image.ref,
        digest: image.digest,
        sizeBytes: image.sizeBytes,
        buildMs: image.buildMs,
        transferMs: image.transferMs,
        transfer: image.transfer,
        pauseMs: d.pauseMs,
      }),
    ];
  });
}
