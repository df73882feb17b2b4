import { topics } from "@shadow/events";
import { hostEnv, loadConfig, runService } from "@shadow/host";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { drainHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, hostEnv);
const runtime = await runtimeFromEnv();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: drainHandlers,
  deps: { runtime, now: () => Date.now() },
  env,
});
