import { setPriority } from "node:os";
import { topics } from "@shadow/events";
import { loadConfig, runService, stepEnv } from "@shadow/host";
import { createLogger } from "@shadow/otel/logger";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { imageEnv } from "./config.ts";
import { imageAfterEnd, imageHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, imageEnv);
setPriority(env.SHADOW_IMAGE_NICE);
const runtime = await runtimeFromEnv();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: imageHandlers,
  afterEnd: imageAfterEnd,
  deps: {
    runtime,
    step: stepEnv(env, createLogger({ name: serviceName, level: env.SHADOW_LOG_LEVEL })),
  },
  env,
});
