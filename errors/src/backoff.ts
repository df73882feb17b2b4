import { retryAfterOf } from "./errors.ts";

/** Exponential backoff: the delay before each next attempt of something that failed. */
export interface Backoff {
  /** Delay before the second attempt (ms). */
  initialDelayMs: number;
  /** Each further delay is the previous one times this. */
  factor: number;
  /** No delay is longer than this (ms), an error's own retryAfterMs included. */
  maxDelayMs: number;
  /** Spread each delay by up to ± this fraction, so many consumers do not retry in step. */
  jitter: number;
}

/**
 * How long to wait after attempt number `attempt` (1-based) failed with `error`: the error's
 * own retryAfterMs when it names one, else initial × factor^(attempt-1), jittered; capped
 * either way. Whether to retry at all is the caller's (see isTerminal).
 */
export function backoffDelay(
  attempt: number,
  backoff: Backoff,
  error?: unknown,
  random: () => number = Math.random,
): number {
  const asked = retryAfterOf(error);
  if (asked !== undefined) return Math.min(backoff.maxDelayMs, Math.max(0, asked));
  const base = backoff.initialDelayMs * backoff.factor ** (attempt - 1);
  const spread = 1 + backoff.jitter * (2 * random() - 1);
  return Math.round(Math.min(backoff.maxDelayMs, base * spread));
}
