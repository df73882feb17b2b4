import { type Backoff, backoffDelay } from "@shadow/errors";
import { isTerminal } from "../errors.ts";

/** Exponential backoff for a failing handler, then the dead-letter topic. */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first one included. 1 = no retry. */
  maxAttempts: number;
}

/**
 * Five attempts over about three seconds: enough to ride out a broker leader change or a node
 * busy dumping, short enough that one poisoned event does not hold its partition for long
 * (events behind it wait: the handler runs in partition order).
 */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 200,
  factor: 2,
  maxDelayMs: 5_000,
  jitter: 0.2,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...defaultRetryPolicy, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`);
  }
  if (policy.initialDelayMs < 0 || policy.maxDelayMs < 0 || policy.factor < 1) {
    throw new RangeError("retry delays must be ≥ 0 and factor ≥ 1");
  }
  if (policy.jitter < 0 || policy.jitter > 1) {
    throw new RangeError(`retry.jitter must be within [0, 1], got ${policy.jitter}`);
  }
  return policy;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; code: "handler-terminal" | "retries-exhausted"; reason: string };

/**
 * What to do after attempt number `attempt` (1-based) failed with `error`: a terminal error is
 * never retried; otherwise retry until `maxAttempts`, waiting initial × factor^(attempt-1)
 * (jittered, capped), or the error's own retryAfterMs when it names one.
 */
export function decideRetry(
  error: Error,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (isTerminal(error)) {
    return { retry: false, code: "handler-terminal", reason: error.message };
  }
  if (attempt >= policy.maxAttempts) {
    return {
      retry: false,
      code: "retries-exhausted",
      reason: `${attempt} attempt(s) failed, last: ${error.message}`,
    };
  }
  return { retry: true, delayMs: backoffDelay(attempt, policy, error, random) };
}
