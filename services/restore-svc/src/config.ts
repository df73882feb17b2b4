import { hostEnv } from "@shadow/host";
import { z } from "zod";

export const restoreEnv = hostEnv.extend({
  /** Caught up = at most this many records behind the source, summed over partitions. */
  SHADOW_CATCH_UP_THRESHOLD: z.coerce.number().int().nonnegative().default(2),
  SHADOW_CATCH_UP_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  SHADOW_CATCH_UP_POLL_MS: z.coerce.number().int().positive().default(20),
  /** A catch-up whose lag stays flat this long slows the source's CPU (0: never). */
  SHADOW_CONVERGE_WINDOW_MS: z.coerce.number().int().nonnegative().default(5_000),
  /**
   * Fence once the shadow's remaining replay fits this (ms); default: the checkpoint's pause
   * plus 50 ms, whatever the lag in records (see fence-cost.ts).
   */
  SHADOW_FENCE_BUDGET_MS: z.coerce.number().int().nonnegative().optional(),
  /**
   * When the lag stops shrinking (a workload above its capacity), fence anyway if replaying
   * the rest costs at most this (ms); 0: never, the catch-up deadline then rolls it back.
   */
  SHADOW_FENCE_MAX_EXTRA_MS: z.coerce.number().int().nonnegative().default(2_000),
  /**
   * A shadow that answers no `/status` this long during its fence has frozen: the fence fails
   * and the source resumes from its cut, instead of waiting out the fence's deadline (0: never).
   */
  SHADOW_FENCE_SHADOW_SILENCE_MS: z.coerce.number().int().nonnegative().default(5_000),
  /**
   * Scheduling niceness of restore-svc and the restores it runs (runc, CRIU), which share the
   * target's cores with whatever serves there. CRIU gives the restored tasks back the niceness
   * they were dumped with, so the copy itself runs as the source did. Default 0: at 10, a
   * check at 60 and 120 msg/s showed no clear gain in the source's delays, and a restore that
   * waits for the CPU is a longer restore phase.
   */
  SHADOW_RESTORE_NICE: z.coerce.number().int().min(-20).max(19).default(0),
});
