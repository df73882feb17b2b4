import {
  FenceAborted,
  type IncomingEvent,
  type MigrationFailed,
  type OutgoingEvent,
  outgoing,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
import { fenceIdOf } from "../fence-id.ts";

/**
 * Compensates fence-svc's step: lifts the fence so a source that gave its cut resumes from it.
 * Sent whether or not the fence was requested: a source ignores the abort of a fence it does
 * not hold, and the control topic's order (one partition per migration) decides against a
 * FencePassed that got there first.
 */
export async function onMigrationFailed(
  event: IncomingEvent<typeof MigrationFailed.type>,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  if (!d.handoff || d.step === "drain") return [];
  return [
    outgoing(FenceAborted, {
      ...baseOf(d),
      handoff: d.handoff,
      fenceId: fenceIdOf(d.migrationId, d.handoff.round),
      reason: `${d.step} failed: ${d.reason}`.slice(0, 2000),
    }),
  ];
}
