import { setTimeout as sleep } from "node:timers/promises";
import type { StepEnv } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { HostEnv } from "./config.ts";

/** What every step's wrapper (runStep) needs in a running service: the wall clock, its deadline. */
export function stepEnv(env: HostEnv, logger?: Logger): StepEnv {
  return {
    now: () => Date.now(),
    sleep: (ms) => sleep(ms),
    stepDeadlineMs: env.SHADOW_STEP_DEADLINE_MS,
    ...(logger ? { log: logger } : {}),
  };
}
