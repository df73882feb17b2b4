import { setPriority } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { topics } from "@shadow/events";
import { loadConfig, runService } from "@shadow/host";
import { createLogger } from "@shadow/otel/logger";
import { statusClient } from "@shadow/runtime";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { restoreEnv } from "./config.ts";
import { restoreAfterEnd, restoreHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, restoreEnv);
setPriority(env.SHADOW_RESTORE_NICE);
const runtime = await runtimeFromEnv();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: restoreHandlers,
  afterEnd: restoreAfterEnd,
  deps: {
    runtime,
    progress: statusClient(runtime),
    catchUpThreshold: env.SHADOW_CATCH_UP_THRESHOLD,
    catchUpTimeoutMs: env.SHADOW_CATCH_UP_TIMEOUT_MS,
    pollIntervalMs: env.SHADOW_CATCH_UP_POLL_MS,
    convergeWindowMs: env.SHADOW_CONVERGE_WINDOW_MS,
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
    log: createLogger({ name: serviceName, level: env.SHADOW_LOG_LEVEL }),
  },
  env,
});
