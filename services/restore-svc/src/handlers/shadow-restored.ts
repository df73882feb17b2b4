import {
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  ShadowCaughtUp,
  type ShadowRestored,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
import type { RestoreDeps } from "../deps.ts";

/**
 * The shadow runs: its catch-up is watched from now on, beside the consumer (see
 * catch-up/watcher.ts), which sends ShadowCaughtUp or MigrationFailed when it ends. The handler
 * returns at once: a catch-up takes seconds to minutes, and waited out here it held the
 * partition, and every other migration's restore behind it.
 */
export async function onShadowRestored(
  event: IncomingEvent<typeof ShadowRestored.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  if (d.strategy === "sequential") {
    // The source is stopped; the copy is primary already. There is nothing to catch up with.
    return [
      outgoing(ShadowCaughtUp, {
        ...baseOf(d),
        handoff: d.handoff,
        lagBehindSource: 0,
        sourceOffsets: [],
        shadowOffsets: [],
        replayMs: 0,
      }),
    ];
  }
  deps.catchUps.watch(event);
  return [];
}
