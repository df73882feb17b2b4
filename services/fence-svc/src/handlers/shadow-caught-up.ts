import { FenceCompleted, FenceRequested, type ShadowCaughtUp, topics } from "@shadow/events";
import { baseOf, emit, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import { fenceIdOf } from "../fence-id.ts";

type Data = z.infer<typeof ShadowCaughtUp.schema>;

/**
 * The shadow is close behind the source: ask the source for its cut now, so the handover costs
 * only that small lag. The sequential baseline has no fence (its source is already stopped).
 */
export async function onShadowCaughtUp(event: Incoming<Data>): Promise<Outgoing[]> {
  const d = event.data;
  const fenceId = fenceIdOf(d.migrationId, d.handoff.round);
  if (d.strategy === "sequential") {
    return [
      emit(FenceCompleted, { ...baseOf(d), handoff: d.handoff, fenceId, cut: [], handoverMs: 0 }),
    ];
  }
  return [emit(FenceRequested, { ...baseOf(d), handoff: d.handoff, fenceId }, topics.control)];
}
