import { topics } from "@shadow/events";
import { hostEnv, loadConfig, runService } from "@shadow/host";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { imageHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, hostEnv);
const runtime = await runtimeFromEnv();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: imageHandlers,
  deps: { runtime },
  env,
});
