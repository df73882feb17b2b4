import {
  type DataOf,
  FenceAborted,
  FenceCompleted,
  FenceCut,
  FencePassed,
  FenceRequested,
} from "@shadow/events";
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
  | { type: "fence-requested"; data: FenceBase; trace: TraceContext; key?: string }
  | { type: "fence-cut"; data: DataOf<typeof FenceCut>; trace: TraceContext; key?: string }
  | { type: "fence-passed"; data: DataOf<typeof FencePassed>; key?: string }
  | { type: "fence-aborted"; data: DataOf<typeof FenceAborted>; key?: string }
  | { type: "fence-completed"; data: DataOf<typeof FenceCompleted>; key?: string }
  /** The source's deadline after its cut ran out (`afterMs`) for fence `fenceId`. */
  | { type: "deadline"; fenceId: string; afterMs: number }
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
  "fence-completed",
  "deadline",
  "cut-taken",
  "cut-published",
  "record-processed",
  "source-progress",
] as const satisfies readonly ModeEventType[];

/** Fence events read from the log: the ones a replay or a redelivery repeats. */
export type FenceEventType =
  | "fence-requested"
  | "fence-cut"
  | "fence-passed"
  | "fence-aborted"
  | "fence-completed";

/** A fence event of the control log as the machine's event. */
export function fromControl(event: ControlEvent): ModeEvent | undefined {
  const trace = { traceparent: event.traceparent, tracestate: event.tracestate };
  // The CloudEvents rule for duplicates: the same source and id are the same event.
  const key = event.id === undefined ? {} : { key: `${event.source ?? ""} ${event.id}` };
  switch (event.type) {
    case FenceRequested.type:
      return { type: "fence-requested", data: event.data, trace, ...key };
    case FenceCut.type:
      return { type: "fence-cut", data: event.data, trace, ...key };
    case FencePassed.type:
      return { type: "fence-passed", data: event.data, ...key };
    case FenceAborted.type:
      return { type: "fence-aborted", data: event.data, ...key };
    case FenceCompleted.type:
      return { type: "fence-completed", data: event.data, ...key };
    default:
      return undefined;
  }
}
