import {
  FenceCompleted,
  type FencePassed,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";

/** The shadow passed the source's cut on every partition: the handover is done. */
export async function onFencePassed(
  event: IncomingEvent<typeof FencePassed.type>,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const handoverMs = Math.max(0, Date.parse(d.passedAt) - Date.parse(d.pausedAt));
  return [
    outgoing(FenceCompleted, {
      ...baseOf(d),
      handoff: d.handoff,
      fenceId: d.fenceId,
      cut: d.cut,
      handoverMs,
    }),
  ];
}
