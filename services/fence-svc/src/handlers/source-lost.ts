import type { IncomingEvent, OutgoingEvent, SourceLost } from "@shadow/events";
import { cutOnBehalf } from "../cut-on-behalf.ts";

/**
 * The source died during its fence (restore-svc found it gone): its committed progress is the
 * cut, given on its behalf, and the shadow passes it and takes over. A replay of this event is
 * the same cut under the same fence id, which no copy takes twice.
 */
export async function onSourceLost(
  event: IncomingEvent<typeof SourceLost.type>,
): Promise<OutgoingEvent[]> {
  return [cutOnBehalf(event.data, event.data.cut, event.time)];
}
