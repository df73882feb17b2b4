import { type DataOf, FenceRequested } from "@shadow/events";
import type { Logger } from "pino";
import type { ControlEvent } from "../control/channel.ts";
import type { Mode, WorkloadCounts } from "../types.ts";
import type { HeldBack } from "./held-back.ts";
import type { Identity } from "./identity.ts";
import type { Lock } from "./lock.ts";
import type { OutputPipeline } from "./output-pipeline.ts";
import type { Progress } from "./progress.ts";

/** What both sides of a fence need from the workload they run in. */
export interface FenceHost {
  currentIdentity(): Identity;
  /** The current session epoch; a fence step started under another epoch must not finish. */
  epoch(): number;
  getMode(): Mode;
  setMode(mode: Mode): void;
  setFencing(fencing: boolean): void;
  readonly progress: Progress;
  readonly held: HeldBack;
  readonly pipeline: OutputPipeline;
  readonly lock: Lock;
  readonly counts: WorkloadCounts;
  readonly log: Logger;
  /** Publishes on the control topic, retrying; false when `epoch` ended first. */
  publish(event: ControlEvent, epoch: number): Promise<boolean>;
  commitNow(): Promise<void>;
  /** Pauses or resumes input to match the mode (resuming seeks to the next unprocessed offset). */
  updateFlow(): void;
  now(): number;
}

export type FenceBase = DataOf<typeof FenceRequested>;

/** The fields every fence event repeats (the FenceRequested data), the rest stripped. */
export function fenceBase(data: FenceBase): FenceBase {
  return FenceRequested.schema.parse(data);
}
