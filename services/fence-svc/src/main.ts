import { topics } from "@shadow/events";
import { hostEnv, loadConfig, runService } from "@shadow/host";
import { fenceHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, hostEnv);
await runService({
  name: serviceName,
  topics: [topics.migrations, topics.control],
  handlers: fenceHandlers,
  deps: undefined,
  env,
});
