import { CheckpointCreated, type IdentitySwapRequested } from "@shadow/events";
import { baseOf, emit, failed, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import type { CheckpointDeps } from "../deps.ts";

type Data = z.infer<typeof IdentitySwapRequested.schema>;

/**
 * Round 2 of an identity swap: dump the shadow (now primary) while it keeps serving, so the
 * named instance can be recreated on the target from a fresh checkpoint.
 */
export async function onIdentitySwapRequested(
  event: Incoming<Data>,
  deps: CheckpointDeps,
): Promise<Outgoing[]> {
  const d = event.data;
  try {
    const checkpoint = await deps.runtime.checkpoint(d.handoff.from.instance, {
      leaveRunning: true,
      migrationId: d.migrationId,
    });
    return [
      emit(CheckpointCreated, {
        ...baseOf(d),
        handoff: d.handoff,
        checkpointId: checkpoint.id,
        leftRunning: checkpoint.leftRunning,
        pauseMs: checkpoint.pauseMs,
        dumpMs: checkpoint.dumpMs,
        sizeBytes: checkpoint.sizeBytes,
      }),
    ];
  } catch (error) {
    return [failed(d, "identity-swap", error)];
  }
}
