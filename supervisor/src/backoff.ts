import type { RestartPolicy } from "./types.ts";

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
};

/** The delay before restart number `attempt` in a row (1 for the first): capped exponential. */
export function restartDelay(policy: RestartPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** exponent);
}

/**
 * Which restart in a row the next one is: a process that stayed ready for `resetAfterMs` was
 * healthy, so its death starts a new series; one that died sooner continues the series, so a
 * process failing at start-up is retried ever more slowly instead of in a tight loop.
 */
export function nextAttempt(
  policy: RestartPolicy,
  previousAttempt: number,
  readyForMs: number | undefined,
): number {
  if (readyForMs !== undefined && readyForMs >= policy.resetAfterMs) return 1;
  return previousAttempt + 1;
}
