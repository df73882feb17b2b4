import { randomBytes } from "node:crypto";
import type { Runtime } from "@shadow/runtime";
import { createLocalRuntime } from "@shadow/runtime/local";
import { ServiceProcesses } from "./service-processes.ts";
import { ensureLocalStack, stackBrokers } from "./stack.ts";
import { bundleExampleService } from "./workload-bundle.ts";

export interface ScenarioEnvironment {
  runtime: Runtime;
  services: ServiceProcesses;
  /** Brokers as host processes reach them. */
  brokers: string[];
  /** Brokers as instances inside node namespaces reach them. */
  nodeBrokers: string[];
  gatewayUrl: string;
  token: string;
  jaegerUrl: string;
  workloadEntry: string;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  log?: (line: string) => void;
  /** Skip deploy/local/up.sh (the caller brought the stack up). */
  stackUp?: boolean;
  gatewayPort?: number;
  /** Extra environment for the six services (e.g. longer step deadlines). */
  serviceEnv?: Record<string, string>;
}

/**
 * The local stack, the six services as processes, and the example service's bundle: what
 * every scenario (demo, end-to-end test, benchmark run) needs. Reuse one for many scenarios.
 */
export async function createScenarioEnvironment(
  options: EnvironmentOptions = {},
): Promise<ScenarioEnvironment> {
  const log = options.log ?? (() => undefined);
  if (!options.stackUp) {
    log("bringing up the local stack (Kafka, Jaeger, registry, CRIU, runc, nodes)");
    await ensureLocalStack(log);
  }
  // Every node of the stack's brokers, unless told otherwise.
  const stack = stackBrokers();
  const brokers =
    process.env.SHADOW_KAFKA_BROKERS?.split(",") ?? orDefault(stack.brokers, "127.0.0.1:9092");
  const nodeBrokers =
    process.env.SHADOW_NODE_KAFKA_BROKERS?.split(",") ??
    orDefault(stack.nodeBrokers, "10.213.0.1:9094");
  const gatewayPort = options.gatewayPort ?? 8480;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const token = process.env.SHADOW_TOKEN ?? "shadow-local";
  const jaegerUrl = process.env.SHADOW_JAEGER_QUERY ?? "http://127.0.0.1:16686";
  const runtime = await createLocalRuntime();
  const workloadEntry = await bundleExampleService();
  const shadowEnv = `run-${randomBytes(3).toString("hex")}`;
  const services = new ServiceProcesses({
    brokers,
    gatewayUrl,
    shadowEnv,
    env: {
      SHADOW_KAFKA_BROKERS: brokers.join(","),
      SHADOW_GATEWAY_PORT: String(gatewayPort),
      SHADOW_TOKEN: token,
      SHADOW_TRACE_LINK: `${jaegerUrl}/trace/{traceId}`,
      // Each service serves its metrics on a port of its own (one Prometheus target each).
      SHADOW_METRICS_PORT: "0",
      ...options.serviceEnv,
    },
  });
  log("starting checkpoint-svc, image-svc, restore-svc, fence-svc, drain-svc and the gateway");
  await services.startAll();
  return {
    runtime,
    services,
    brokers,
    nodeBrokers,
    gatewayUrl,
    token,
    jaegerUrl,
    workloadEntry,
    close: () => services.stopAll(),
  };
}

function orDefault(list: string[], fallback: string): string[] {
  return list.length > 0 ? list : [fallback];
}
