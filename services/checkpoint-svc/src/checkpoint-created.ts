import { CheckpointCreated, type handoff, type OutgoingEvent, outgoing } from "@shadow/events";
import { baseOf } from "@shadow/migration";
import type { Checkpoint } from "@shadow/runtime";
import type { z } from "zod";

/** The CheckpointCreated of a dump taken for a handoff: the same for both rounds. */
export function checkpointCreated(
  d: Parameters<typeof baseOf>[0],
  handoffOf: z.input<typeof handoff>,
  checkpoint: Checkpoint,
): OutgoingEvent {
  return outgoing(CheckpointCreated, {
    ...baseOf(d),
    handoff: handoffOf,
    checkpointId: checkpoint.id,
    leftRunning: checkpoint.leftRunning,
    pauseMs: checkpoint.pauseMs,
    frozenAt: new Date(checkpoint.frozenAt).toISOString(),
    dumpMs: checkpoint.dumpMs,
    sizeBytes: checkpoint.sizeBytes,
  });
}
