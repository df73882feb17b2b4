import {
  FenceCompleted,
  FenceRequested,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  type ShadowCaughtUp,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
import { cutOnBehalf } from "../cut-on-behalf.ts";
import { fenceIdOf } from "../fence-id.ts";

/**
 * The shadow is close behind the source: ask the source for its cut now, so the handover costs
 * only that small lag. The sequential baseline has no fence (its source is already stopped).
 * A failover (the source found gone) has no one to ask: the cut is the source's committed
 * progress, which restore-svc read through the shadow.
 */
export async function onShadowCaughtUp(
  event: IncomingEvent<typeof ShadowCaughtUp.type>,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const fenceId = fenceIdOf(d.migrationId, d.handoff.round);
  if (d.strategy === "sequential") {
    return [
      outgoing(FenceCompleted, {
        ...baseOf(d),
        handoff: d.handoff,
        fenceId,
        cut: [],
        handoverMs: 0,
      }),
    ];
  }
  if (d.sourceLost) return [cutOnBehalf(d, d.sourceOffsets, event.time)];
  return [outgoing(FenceRequested, { ...baseOf(d), handoff: d.handoff, fenceId })];
}
