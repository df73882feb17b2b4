import { hostEnv } from "@shadow/host";
import { z } from "zod";

export const restoreEnv = hostEnv.extend({
  /** Caught up = at most this many records behind the source, summed over partitions. */
  SHADOW_CATCH_UP_THRESHOLD: z.coerce.number().int().nonnegative().default(2),
  SHADOW_CATCH_UP_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  SHADOW_CATCH_UP_POLL_MS: z.coerce.number().int().positive().default(20),
  /** A catch-up whose lag stays flat this long slows the source's CPU (0: never). */
  SHADOW_CONVERGE_WINDOW_MS: z.coerce.number().int().nonnegative().default(5_000),
});
