import { type CheckpointCreated, CheckpointImageReady } from "@shadow/events";
import { baseOf, emit, failed, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import type { ImageDeps } from "../deps.ts";

type Data = z.infer<typeof CheckpointCreated.schema>;

/** Packs the dump as an OCI checkpoint image and makes it pullable on the target node. */
export async function onCheckpointCreated(
  event: Incoming<Data>,
  deps: ImageDeps,
): Promise<Outgoing[]> {
  const d = event.data;
  try {
    const image = await deps.runtime.buildImage(
      {
        id: d.checkpointId,
        migrationId: d.migrationId,
        instance: d.handoff.from.instance,
        node: d.handoff.from.node,
        leftRunning: d.leftRunning,
        pauseMs: d.pauseMs,
        dumpMs: d.dumpMs,
        sizeBytes: d.sizeBytes,
      },
      d.handoff.to.node,
    );
    return [
      emit(CheckpointImageReady, {
        ...baseOf(d),
        handoff: d.handoff,
        checkpointId: d.checkpointId,
        imageRef: image.ref,
        digest: image.digest,
        sizeBytes: image.sizeBytes,
        buildMs: image.buildMs,
        transferMs: image.transferMs,
        transfer: image.transfer,
      }),
    ];
  } catch (error) {
    return [failed(d, "image", error)];
  }
}
