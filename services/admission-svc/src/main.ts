import { topics } from "@shadow/events";
import { hostEnv, loadConfig, runService } from "@shadow/host";
import { LogLedger } from "@shadow/migration";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { admissionHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, hostEnv);
const runtime = await runtimeFromEnv();
// One ledger for the gate, which folds the log, and the handler, which reads its decisions.
const ledger = new LogLedger();
await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: admissionHandlers,
  ledger,
  deps: { runtime, ledger },
  env,
});
