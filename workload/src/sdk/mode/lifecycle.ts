import type { ModeEvent } from "./events.ts";
import { initialState, type ModeState, producesOnStop } from "./state.ts";
import { moved, type Outcome, same } from "./transition.ts";

/**
 * The identity file names someone else: this process is a restored copy (or was re-assigned).
 * Fence records belong to the identity they were reached under (a round-1 shadow checkpointed
 * again for round 2 must not wake up believing it passed a cut), so it starts over as the new
 * role says, continuing the previous identity's memory (and what it read on the control log).
 */
export function onIdentityChanged(
  state: ModeState,
  event: Extract<ModeEvent, { type: "identity-changed" }>,
): Outcome {
  const fresh = initialState(event.next, event.previous.instance);
  return same({ ...fresh, attempts: state.attempts, memory: state.memory });
}

/** Stops for good; a producing phase first flushes its outputs and commits them. */
export function onStop(state: ModeState, event: Extract<ModeEvent, { type: "stop" }>): Outcome {
  const { phase } = state;
  if (phase.name === "stopped") return same(state);
  const next: ModeState = { ...state, phase: { name: "stopped", was: phase } };
  return event.canFlush && producesOnStop(phase)
    ? moved(next, [{ kind: "flush-and-commit" }])
    : same(next);
}
