import type { IdentitySwapRequested, IncomingEvent, OutgoingEvent } from "@shadow/events";
import { failed } from "@shadow/migration";
import { checkpointCreated } from "../checkpoint-created.ts";
import type { CheckpointDeps } from "../deps.ts";

/**
 * Round 2 of an identity swap: dump the shadow (now primary) while it keeps serving, so the
 * named instance can be recreated on the target from a fresh checkpoint.
 */
export async function onIdentitySwapRequested(
  event: IncomingEvent<typeof IdentitySwapRequested.type>,
  deps: CheckpointDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  try {
    const checkpoint = await deps.runtime.checkpoint(d.handoff.from.instance, {
      leaveRunning: true,
      migrationId: d.migrationId,
    });
    return [checkpointCreated(d, d.handoff, checkpoint)];
  } catch (error) {
    return [failed(d, "identity-swap", error)];
  }
}
