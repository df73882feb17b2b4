import type { FenceAborted, FenceCut, FencePassed } from "@shadow/events";
import type { ControlEvent } from "../../control/channel.ts";
import type { PartitionOffset } from "../../types.ts";

type ControlOf<T extends string> = Extract<ControlEvent, { type: T }>;

/**
 * What a transition asks the owner to do, in order. The machine decides; the owner only
 * executes, and reports what an effect found out as a new event (`cut-taken`, `cut-published`).
 */
export type Effect =
  /** Input follows the phase: pause it, or resume right after the last processed record. */
  | { kind: "update-flow" }
  /**
   * Source: let the record in flight finish, wait until every output is acknowledged, commit;
   * then report the last processed offset per partition as `cut-taken`.
   */
  | { kind: "settle"; attempt: number; migrationId: string }
  /** Publish the source's cut (retried); report `cut-published` once it is in the log. */
  | { kind: "publish-cut"; event: ControlOf<typeof FenceCut.type> }
  /** Publish the shadow's pass (retried, not awaited: it is read back from the log). */
  | { kind: "publish-passed"; event: ControlOf<typeof FencePassed.type> }
  /** Publish the source's own FenceAborted (retried, not awaited: it acts once read back). */
  | { kind: "publish-abort"; event: ControlOf<typeof FenceAborted.type> }
  /** Report `deadline` for this fence once the fence deadline has passed. */
  | { kind: "arm-deadline"; fenceId: string }
  /** Drop held outputs of records at or below these offsets: the source produced them. */
  | { kind: "drop-held"; upTo: PartitionOffset[] }
  /** Produce every held output, in processing order. */
  | { kind: "release-held" }
  /** Drop every held output. */
  | { kind: "clear-held" }
  /** Wait (boundedly) for outputs in flight, then commit what is settled. */
  | { kind: "flush-and-commit" }
  | { kind: "log"; level: "info" | "warn"; fields: Record<string, unknown>; message: string };

export type EffectKind = Effect["kind"];
