import { FenceAborted, type MigrationFailed, topics } from "@shadow/events";
import { baseOf, emit, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import { fenceIdOf } from "../fence-id.ts";

type Data = z.infer<typeof MigrationFailed.schema>;

/**
 * Compensates fence-svc's step: lifts the fence so a source that gave its cut resumes from it.
 * Sent whether or not the fence was requested: a source ignores the abort of a fence it does
 * not hold, and the control topic's order (one partition per migration) decides against a
 * FencePassed that got there first.
 */
export async function onMigrationFailed(event: Incoming<Data>): Promise<Outgoing[]> {
  const d = event.data;
  if (!d.handoff || d.step === "drain") return [];
  return [
    emit(
      FenceAborted,
      {
        ...baseOf(d),
        handoff: d.handoff,
        fenceId: fenceIdOf(d.migrationId, d.handoff.round),
        reason: `${d.step} failed: ${d.reason}`.slice(0, 2000),
      },
      topics.control,
    ),
  ];
}
