import type { TraceContext } from "../../control/channel.ts";
import type { HandoverTiming, Mode, SourceFenceStatus } from "../../types.ts";
import type { CutIndex } from "../held-back.ts";
import type { Identity } from "../identity.ts";
import type { FenceBase } from "./fence-base.ts";
import { emptyMemory, type LogMemory } from "./memory.ts";

/**
 * Where one workload process stands. The source side of a fence walks primary → fencing →
 * fenced → handed-over (or back to primary on an abort); the shadow side walks shadow →
 * passing → passed → primary (or idle on an abort). `stopped` ends every path.
 */
export const PHASES = [
  "primary",
  "fencing",
  "fenced",
  "handed-over",
  "shadow",
  "passing",
  "passed",
  "idle",
  "stopped",
] as const;

export type PhaseName = (typeof PHASES)[number];

/** A phase with what only that phase needs. */
export type Phase =
  /** Consumes and produces. */
  | { name: "primary" }
  /** Source: input paused, the record in flight finishing, outputs flushing, then the cut. */
  | { name: "fencing"; attempt: number; request: FenceBase; trace: TraceContext }
  /**
   * Source: cut taken and answered; alive but silent until FencePassed or FenceAborted, or,
   * past its deadline, its own FenceAborted read back.
   */
  | { name: "fenced"; request: FenceBase; trace: TraceContext }
  /** Source: its shadow's FencePassed came first in the log; it never resumes. */
  | { name: "handed-over"; request: FenceBase; trace: TraceContext }
  /** Consumes, holds outputs; the source's committed progress trims them. */
  | { name: "shadow"; sourceProgress: CutIndex | undefined }
  /** Shadow with the source's cut: processes up to it, outputs beyond it held. */
  | { name: "passing"; fence: FenceBase; cut: CutIndex; trace: TraceContext }
  /** Shadow past the cut everywhere, FencePassed published, waiting to read it back. */
  | { name: "passed"; fence: FenceBase; cut: CutIndex; trace: TraceContext }
  /** Shadow after an abort: consumes nothing, produces nothing. */
  | { name: "idle" }
  /** `stop()` was called; `was` keeps what the status shows and where late outputs go. */
  | { name: "stopped"; was: Exclude<Phase, { name: "stopped" }> };

/** The whole state of the machine: the phase and what the fence sides record on the way. */
export interface ModeState {
  readonly phase: Phase;
  /** The source side's fence under this identity (`sourceFence` in the status body). */
  readonly sourceFence: Readonly<SourceFenceStatus> | null;
  /** The shadow side's handover under this identity (`handover` in the status body). */
  readonly handover: Readonly<HandoverTiming> | null;
  /** Fences this shadow saw aborted: a cut or a pass of theirs never counts again. */
  readonly aborted: ReadonlySet<string>;
  /** The instance whose memory this process continues (its source, for a shadow). */
  readonly sourceInstance: string | undefined;
  /** Fencing attempts started, so a cut taken for an attempt that ended is told apart. */
  readonly attempts: number;
  /** What the control log said about fences of this workload; kept across identities. */
  readonly memory: LogMemory;
}

/** What a process starts as: its identity file's role. */
export function initialState(identity: Identity, sourceInstance?: string): ModeState {
  return {
    phase: identity.role === "shadow" ? { name: "shadow", sourceProgress: undefined } : primary,
    sourceFence: null,
    handover: null,
    aborted: new Set(),
    sourceInstance,
    attempts: 0,
    memory: emptyMemory,
  };
}

export const primary: Phase = { name: "primary" };

/** The phase that decides behaviour: a stopped process keeps the one it stopped in. */
function live(phase: Phase): Exclude<Phase, { name: "stopped" }> {
  return phase.name === "stopped" ? phase.was : phase;
}

/** The four-valued mode of the status body and the handler context. */
export function modeOf(phase: Phase): Mode {
  switch (live(phase).name) {
    case "primary":
    case "fencing":
      return "primary";
    case "fenced":
    case "handed-over":
      return "fenced";
    case "idle":
      return "idle";
    default:
      return "shadow";
  }
}

export function isFencing(phase: Phase): boolean {
  return live(phase).name === "fencing";
}

/** What input may do: processed with outputs produced, processed with outputs held, or not read. */
export type Consumption = "produce" | "hold" | "none";

export function consumptionOf(phase: Phase): Consumption {
  switch (phase.name) {
    case "primary":
      return "produce";
    case "shadow":
    case "passing":
    case "passed":
      return "hold";
    default:
      return "none";
  }
}

/** Where the outputs of a record finished now go. */
export type OutputRoute =
  | { to: "produce" }
  /** Held back, except those `covering` says the source produced (dropped). */
  | { to: "hold"; covering: CutIndex | undefined }
  | { to: "discard" };

const produce: OutputRoute = { to: "produce" };
const discard: OutputRoute = { to: "discard" };

/**
 * Outputs follow the phase when the record finishes, not when it started: a shadow that turned
 * primary while a handler awaited produces that record's outputs after the released ones.
 */
export function routeOf(phase: Phase): OutputRoute {
  const now = live(phase);
  switch (now.name) {
    case "shadow":
      return { to: "hold", covering: now.sourceProgress };
    case "passing":
    case "passed":
      return { to: "hold", covering: now.cut };
    case "idle":
      return discard;
    default:
      // A source produces what it processed; fenced ones process nothing after the cut.
      return produce;
  }
}

/** Whether a stop flushes and commits: every phase but a shadow's (its outputs are held). */
export function producesOnStop(phase: Phase): boolean {
  return consumptionOf(live(phase)) !== "hold";
}
