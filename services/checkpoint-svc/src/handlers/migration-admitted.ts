import type { IncomingEvent, MigrationAdmitted, OutgoingEvent } from "@shadow/events";
import { runStep, shadowInstanceName } from "@shadow/migration";
import { checkpointCreated } from "../checkpoint-created.ts";
import type { CheckpointDeps } from "../deps.ts";

/**
 * Round 1 of a migration, once admission let it run (never on the request itself: a request
 * may be refused): dump the source. ShadowPod leaves it running (it keeps serving while
 * the shadow is built); the sequential baseline stops it, which is where its downtime starts.
 */
export async function onMigrationAdmitted(
  event: IncomingEvent<typeof MigrationAdmitted.type>,
  deps: CheckpointDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const handoff = {
    round: 1 as const,
    from: d.source,
    to: { instance: shadowInstanceName(d.workload, d.migrationId), node: d.targetNode },
  };
  const step = { step: "checkpoint", phase: "checkpoint", startedAt: event.time } as const;
  return runStep(deps.step, { ...step, data: { ...d, handoff } }, async () => {
    const checkpoint = await deps.runtime.checkpoint(d.source.instance, {
      leaveRunning: d.strategy === "shadow",
      migrationId: d.migrationId,
    });
    return [checkpointCreated(d, handoff, checkpoint)];
  });
}
