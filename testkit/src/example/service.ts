import {
  createStatusApp,
  createWorkload,
  listen,
  type RunningServer,
  type Snapshot,
  type Workload,
} from "@shadow/workload";
import type { Logger } from "pino";
import pino from "pino";
import type { ExampleConfig } from "./config.ts";
import { describeState, type ExampleState, exampleService } from "./state.ts";

export interface ExampleService {
  readonly workload: Workload<ExampleState>;
  /** Starts consuming and serving HTTP; resolves with the bound port. */
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

export interface ExampleServiceOptions {
  /** Start from another instance's memory (the test stand-in for a CRIU restore). */
  snapshot?: Snapshot<ExampleState>;
  log?: Logger;
  /** Kafka consumer timings (tests shorten them). */
  consumer?: { sessionTimeout?: number; heartbeatInterval?: number; maxWaitTimeInMs?: number };
}

/**
 * The example stateful service: account balances per key on the SDK, with ballast and a
 * processing cost, serving `/state`, `/status` and `/health`.
 */
export function createExampleService(
  config: ExampleConfig,
  options: ExampleServiceOptions = {},
): ExampleService {
  const log = options.log ?? pino({ name: "example-service", level: config.logLevel });
  const workload = createWorkload<ExampleState>({
    service: exampleService({
      cost: { ms: config.costMs, mode: config.costMode },
      ballastMb: config.ballastMb,
    }),
    brokers: config.brokers,
    inputTopics: config.inputTopics,
    outputTopic: config.outputTopic,
    deadLetterTopic: config.deadLetterTopic,
    controlTopic: config.controlTopic,
    identityPath: config.identityPath,
    maxHeldOutputs: config.maxHeldOutputs,
    maxPendingOutputs: config.maxPendingOutputs,
    log,
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    ...(options.consumer ? { consumer: options.consumer } : {}),
  });
  const app = createStatusApp(workload);
  app.get("/state", (c) => c.json(describeState(workload.state)));
  let server: RunningServer | undefined;

  return {
    workload,
    async start() {
      server = await listen(app, { host: config.httpHost, port: config.httpPort });
      await workload.start();
      log.info({ port: server.port, identity: workload.identity }, "example service started");
      return { port: server.port };
    },
    async stop() {
      await workload.stop();
      await server?.close();
    },
  };
}
