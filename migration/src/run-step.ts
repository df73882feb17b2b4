import { type Backoff, backoffDelay, isTerminal, toError } from "@shadow/errors";
import type { migrationStep, OutgoingEvent } from "@shadow/events";
import type { z } from "zod";
import { failed } from "./failure.ts";
import type { Phase } from "./phase.ts";
import { stepDeadlineMs } from "./step-deadline.ts";

type Step = z.infer<typeof migrationStep>;

/** What every step's wrapper needs of its service: a clock, and where to say it retries. */
export interface StepEnv {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** The base step deadline (SHADOW_STEP_DEADLINE_MS); each step's is a multiple (stepDeadlineMs). */
  stepDeadlineMs: number;
  log?: { warn(fields: object, message: string): void };
}

export interface StepSpec {
  /** The step as MigrationFailed names it. */
  step: Step;
  /** The phase it runs in, which sets its deadline (see stepDeadlineMs). */
  phase: Phase;
  /** The fields a MigrationFailed copies (base fields, the handoff). */
  data: Parameters<typeof failed>[0];
  /**
   * When the step began: the time of the event that started it (its CloudEvent `time`), so the
   * step delivered again after a restart keeps the deadline it had, and never retries past the
   * watchdog's.
   */
  startedAt: string;
  /** Undoes what a failed attempt may have left behind, before the MigrationFailed. */
  onFailure?: (error: Error) => Promise<void>;
}

/**
 * Retries start 0.5 s apart and double up to 5 s: a registry or node agent restarting takes a
 * few seconds, a broker's leader election up to 10-20 s, and a step should not hammer either.
 */
export const stepBackoff: Backoff = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 5_000,
  jitter: 0.2,
};

/**
 * Retries stop at this share of the step's deadline, so the step's own failure, naming its
 * real cause, reaches the log before the watchdog fails it for being late.
 */
const RETRY_SHARE = 0.8;

/**
 * Runs one step of a migration, the one place that decides what a failure means: a retryable
 * error (a registry restarting, a leader moving, anything not known to be terminal) is tried
 * again with backoff while the step is within its deadline; a terminal one (no room on the
 * target, a tampered image, an instance gone) fails the step at once. A failed step returns its
 * MigrationFailed, which starts every service's compensation; it never throws.
 *
 * @example
 * return runStep(deps.step, { step: "image", phase: "image", data: d, startedAt: event.time }, async () => {
 *   const image = await deps.runtime.buildImage(...);
 *   return [outgoing(CheckpointImageReady, { ... })];
 * });
 */
export async function runStep(
  env: StepEnv,
  spec: StepSpec,
  action: (attempt: number) => Promise<OutgoingEvent[]>,
): Promise<OutgoingEvent[]> {
  const started = Date.parse(spec.startedAt);
  const deadlineMs = stepDeadlineMs(spec.phase, env.stepDeadlineMs);
  const retryUntil = (Number.isNaN(started) ? env.now() : started) + deadlineMs * RETRY_SHARE;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (thrown) {
      const error = toError(thrown);
      const delayMs = backoffDelay(attempt, stepBackoff, error);
      const retry = !isTerminal(error) && env.now() + delayMs < retryUntil;
      env.log?.warn(
        {
          migrationId: spec.data.migrationId,
          step: spec.step,
          attempt,
          error: error.message,
          terminal: isTerminal(error),
          ...(retry ? { retryInMs: delayMs } : {}),
        },
        retry ? "step failed: retrying" : "step failed",
      );
      if (!retry) {
        await spec.onFailure?.(error).catch(() => undefined);
        return [failed(spec.data, spec.step, error)];
      }
      await env.sleep(delayMs);
    }
  }
}
