import { CheckpointCreated, type MigrationRequested } from "@shadow/events";
import {
  baseOf,
  emit,
  failed,
  type Incoming,
  type Outgoing,
  shadowInstanceName,
} from "@shadow/migration";
import type { z } from "zod";
import type { CheckpointDeps } from "../deps.ts";

type Data = z.infer<typeof MigrationRequested.schema>;

/**
 * Round 1 of a migration: dump the source. ShadowPod leaves it running (it keeps serving while
 * the shadow is built); the sequential baseline stops it, which is where its downtime starts.
 */
export async function onMigrationRequested(
  event: Incoming<Data>,
  deps: CheckpointDeps,
): Promise<Outgoing[]> {
  const d = event.data;
  const handoff = {
    round: 1 as const,
    from: d.source,
    to: { instance: shadowInstanceName(d.workload, d.migrationId), node: d.targetNode },
  };
  try {
    const checkpoint = await deps.runtime.checkpoint(d.source.instance, {
      leaveRunning: d.strategy === "shadow",
      migrationId: d.migrationId,
    });
    return [
      emit(CheckpointCreated, {
        ...baseOf(d),
        handoff,
        checkpointId: checkpoint.id,
        leftRunning: checkpoint.leftRunning,
        pauseMs: checkpoint.pauseMs,
        dumpMs: checkpoint.dumpMs,
        sizeBytes: checkpoint.sizeBytes,
      }),
    ];
  } catch (error) {
    return [failed({ ...d, handoff }, "checkpoint", error)];
  }
}
