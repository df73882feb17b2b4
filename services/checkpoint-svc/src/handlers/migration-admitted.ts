import type { IncomingEvent, MigrationAdmitted, OutgoingEvent } from "@shadow/events";
import { firstHandoff, runStep } from "@shadow/migration";
import { checkpointCreated } from "../checkpoint-created.ts";
import type { CheckpointDeps } from "../deps.ts";

/**
 * The first dump of a migration, once admission let it run (never on the request itself: a
 * request may be refused). ShadowPod leaves the source running (it keeps serving while the
 * shadow is built); the sequential baseline stops it, which is where its downtime starts. A
 * name restore starts at an identity swap's round 2: the instance serving under another name
 * is dumped, to be recreated beside it under the workload's own.
 */
export async function onMigrationAdmitted(
  event: IncomingEvent<typeof MigrationAdmitted.type>,
  deps: CheckpointDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const handoff = firstHandoff(d);
  const step = {
    step: handoff.round === 2 ? "identity-swap" : "checkpoint",
    phase: "checkpoint",
    startedAt: event.time,
  } as const;
  return runStep(deps.step, { ...step, data: { ...d, handoff } }, async () => {
    const checkpoint = await deps.runtime.checkpoint(d.source.instance, {
      leaveRunning: d.strategy === "shadow",
      migrationId: d.migrationId,
    });
    return [checkpointCreated(d, handoff, checkpoint)];
  });
}
