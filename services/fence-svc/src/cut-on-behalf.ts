import type { PartitionOffset } from "@shadow/contract";
import {
  type DataOf,
  FenceCut,
  type OutgoingEvent,
  outgoing,
  type SourceLost,
} from "@shadow/events";
import { baseOf } from "@shadow/migration";
import { fenceIdOf } from "./fence-id.ts";

/** What a cut given on a gone source's behalf is made from: any event of its fence's round. */
type FenceRound = Pick<
  DataOf<typeof SourceLost>,
  | "migrationId"
  | "workload"
  | "strategy"
  | "identitySwap"
  | "requestedAt"
  | "imageTransfer"
  | "handoff"
>;

/**
 * A gone source cannot answer a FenceRequested: its last committed progress is the cut, given
 * on its behalf under the fence's own id, and the shadow passes it as it would the source's.
 * Had the source published a cut of its own before it died, that one is earlier in the control
 * log, and the shadow takes a fence's first cut only.
 */
export function cutOnBehalf(
  d: FenceRound,
  cut: PartitionOffset[],
  at: string | undefined,
): OutgoingEvent {
  return outgoing(FenceCut, {
    ...baseOf(d),
    handoff: d.handoff,
    fenceId: fenceIdOf(d.migrationId, d.handoff.round),
    instance: d.handoff.from.instance,
    cut,
    pausedAt: at ?? new Date().toISOString(),
  });
}
