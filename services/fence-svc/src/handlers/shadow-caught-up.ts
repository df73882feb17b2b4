import {
  FenceCompleted,
  FenceCut,
  FenceRequested,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  type ShadowCaughtUp,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
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
  if (d.sourceLost) {
    // The source is gone and cannot answer a FenceRequested: its last committed progress is the
    // cut, given on its behalf, and the shadow passes it as it would the source's own.
    return [
      outgoing(FenceCut, {
        ...baseOf(d),
        handoff: d.handoff,
        fenceId,
        instance: d.handoff.from.instance,
        cut: d.sourceOffsets,
        pausedAt: event.time ?? new Date().toISOString(),
      }),
    ];
  }
  return [outgoing(FenceRequested, { ...baseOf(d), handoff: d.handoff, fenceId })];
}
