import type { IdentitySwapRequested, IncomingEvent, OutgoingEvent } from "@shadow/events";
import { runStep } from "@shadow/migration";
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
  const step = { step: "identity-swap", phase: "checkpoint", startedAt: event.time } as const;
  // A dump that fails once (the copy busy, the node agent restarting) is tried again: round 2
  // runs after the workload moved, where a failure leaves it serving under its shadow's name.
  return runStep(deps.step, { ...step, data: d }, async () => {
    const checkpoint = await deps.runtime.checkpoint(d.handoff.from.instance, {
      leaveRunning: true,
      migrationId: d.migrationId,
    });
    return [checkpointCreated(d, d.handoff, checkpoint)];
  });
}
