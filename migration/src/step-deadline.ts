import type { Phase } from "./phase.ts";

/**
 * How long each step may take, as a multiple of the base deadline (SHADOW_STEP_DEADLINE_MS). The
 * fence is short: the source answers within milliseconds or it is stuck (and the shadow waits
 * for it); the catch-up has its own timeout in restore-svc and gets more. The gateway's watchdog
 * fails a step past its deadline; the step itself retries only within it (see runStep).
 */
const deadlineFactor: Record<Phase, number> = {
  checkpoint: 1,
  image: 2,
  restore: 2,
  "catch-up": 3,
  fence: 0.5,
  drain: 1,
};

/** The deadline of one phase's step (ms). */
export function stepDeadlineMs(phase: Phase, baseDeadlineMs: number): number {
  return baseDeadlineMs * deadlineFactor[phase];
}
