import { FenceCompleted, type FencePassed } from "@shadow/events";
import { baseOf, emit, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";

type Data = z.infer<typeof FencePassed.schema>;

/** The shadow passed the source's cut on every partition: the handover is done. */
export async function onFencePassed(event: Incoming<Data>): Promise<Outgoing[]> {
  const d = event.data;
  const handoverMs = Math.max(0, Date.parse(d.passedAt) - Date.parse(d.pausedAt));
  return [
    emit(FenceCompleted, {
      ...baseOf(d),
      handoff: d.handoff,
      fenceId: d.fenceId,
      cut: d.cut,
      handoverMs,
    }),
  ];
}
