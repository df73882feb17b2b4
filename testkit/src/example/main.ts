import pino from "pino";
import { loadExampleConfig } from "./config.ts";
import { createExampleService } from "./service.ts";

/**
 * Entry point of the example service (bundled into one file that runs inside a container).
 * HTTP comes up first so probes see the process alive while Kafka connects.
 */
async function main(): Promise<void> {
  const config = loadExampleConfig();
  const log = pino({ name: "example-service", level: config.logLevel });
  const service = createExampleService(config, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await service.start();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
