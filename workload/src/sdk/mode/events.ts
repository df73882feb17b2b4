import { type DataOf, FenceAborted, FenceCut, FencePassed, FenceRequested } from "@shadow/events";
import type { ControlEvent, TraceContext } from "../../control/channel.ts";
import type { PartitionOffset } from "../../types.ts";
import type { Identity } from "../identity.ts";
import type { FenceBase } from "./fence-base.ts";

/** What moves the machine: fence events read from the control log, and the owner's own news. */
export type ModeEvent =
  /** The identity file names someone else: a restored copy, or a re-assigned process. */
  | { type: "identity-changed"; next: Identity; previous: Identity }
  /** `stop()`; `canFlush`: a session under the unchanged identity is there to flush with. */
  | { type: "stop"; canFlush: boolean }
  | { type: "fence-requested"; data: FenceBase; trace: TraceContext }
  | { type: "fence-cut"; data: DataOf<typeof FenceCut>; trace: TraceContext }
  | { type: "fence-passed"; data: DataOf<typeof FencePassed> }
  | { type: "fence-aborted"; data: DataOf<typeof FenceAborted> }
  /** The `settle` effect of fencing attempt `attempt` finished: nothing in flight, all acked. */
  | { type: "cut-taken"; attempt: number; migrationId: string; cut: PartitionOffset[] }
  /** A `publish-cut` effect's FenceCut is durably in the control log. */
  | { type: "cut-published"; fenceId: string }
  /** A record's state, offset and outputs changed together (under the processing lock). */
  | { type: "record-processed" }
  /** The source's committed progress, read from its consumer group. */
  | { type: "source-progress"; positions: PartitionOffset[] };

export type ModeEventType = ModeEvent["type"];

export const MODE_EVENT_TYPES = [
  "identity-changed",
  "stop",
  "fence-requested",
  "fence-cut",
  "fence-passed",
  "fence-aborted",
  "cut-taken",
  "cut-published",
  "record-processed",
  "source-progress",
] as const satisfies readonly ModeEventType[];

/** A fence event of the control log as the machine's event; others (FenceCompleted) move nothing. */
export function fromControl(event: ControlEvent): ModeEvent | undefined {
  const trace = { traceparent: event.traceparent, tracestate: event.tracestate };
  switch (event.type) {
    case FenceRequested.type:
      return { type: "fence-requested", data: event.data, trace };
    case FenceCut.type:
      return { type: "fence-cut", data: event.data, trace };
    case FencePassed.type:
      return { type: "fence-passed", data: event.data };
    case FenceAborted.type:
      return { type: "fence-aborted", data: event.data };
    default:
      return undefined;
  }
}
