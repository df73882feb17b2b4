import { topics } from "@shadow/events";
import { hostEnv, loadConfig, runService, stepEnv } from "@shadow/host";
import { createLogger } from "@shadow/otel/logger";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { drainHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, hostEnv);
const runtime = await runtimeFromEnv();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: drainHandlers,
  deps: {
    runtime,
    now: () => Date.now(),
    step: stepEnv(env, createLogger({ name: serviceName, level: env.SHADOW_LOG_LEVEL })),
  },
  env,
});
