import { randomBytes } from "node:crypto";
import type { Runtime } from "@shadow/runtime";
import { createLocalRuntime } from "@shadow/runtime/local";
import {
  choreographySpecs,
  defaultLogDir,
  ensureLocalStack,
  Supervisor,
  stackBrokers,
} from "@shadow/supervisor";
import { bundleExampleService } from "./workload-bundle.ts";

/** What a scenario needs to run a workload and migrate it through a gateway that is up. */
export interface WorkloadEnvironment {
  runtime: Runtime;
  /** Brokers as host processes reach them. */
  brokers: string[];
  /** Brokers as instances inside node namespaces reach them. */
  nodeBrokers: string[];
  gatewayUrl: string;
  token: string;
  jaegerUrl: string;
  workloadEntry: string;
}

/** A workload environment whose seven services this process supervises. */
export interface ScenarioEnvironment extends WorkloadEnvironment {
  services: Supervisor;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  log?: (line: string) => void;
  /** Skip deploy/local/up.sh (the caller brought the stack up). */
  stackUp?: boolean;
  gatewayPort?: number;
  /** Extra environment for the seven services (e.g. longer step deadlines). */
  serviceEnv?: Record<string, string>;
}

/**
 * The runtime, the brokers and the example service's bundle, for a gateway at `gatewayUrl`
 * that someone else runs (`shadow serve`, say).
 */
export async function workloadEnvironment(gatewayUrl: string): Promise<WorkloadEnvironment> {
  const jaegerUrl = process.env.SHADOW_JAEGER_QUERY ?? "http://127.0.0.1:16686";
  // Every node of the stack's brokers, unless told otherwise.
  const stack = stackBrokers();
  return {
    runtime: await createLocalRuntime(),
    brokers:
      process.env.SHADOW_KAFKA_BROKERS?.split(",") ?? orDefault(stack.brokers, "127.0.0.1:9092"),
    nodeBrokers:
      process.env.SHADOW_NODE_KAFKA_BROKERS?.split(",") ??
      orDefault(stack.nodeBrokers, "10.213.0.1:9094"),
    gatewayUrl,
    token: process.env.SHADOW_TOKEN ?? "shadow-local",
    jaegerUrl,
    workloadEntry: await bundleExampleService(),
  };
}

/**
 * The local stack, the seven services under a supervisor, and the example service's bundle: what
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
  const gatewayPort = options.gatewayPort ?? 8480;
  const base = await workloadEnvironment(`http://127.0.0.1:${gatewayPort}`);
  const services = new Supervisor({
    services: await choreographySpecs({
      // A group suffix of this environment alone: test files and bench runs share no groups
      // with each other or with a `shadow serve` on the same broker.
      shadowEnv: `run-${randomBytes(3).toString("hex")}`,
      gatewayPort,
      healthPortBase: 0,
      metricsPortBase: 0,
      env: {
        SHADOW_KAFKA_BROKERS: base.brokers.join(","),
        SHADOW_TOKEN: base.token,
        // A trace UI to link into, when the user has one (the local Jaeger serves no UI).
        ...(process.env.SHADOW_TRACE_UI_URL
          ? { SHADOW_TRACE_UI_URL: process.env.SHADOW_TRACE_UI_URL }
          : {}),
        ...options.serviceEnv,
      },
    }),
    logDir: defaultLogDir,
    log: {
      info: () => undefined,
      warn: (fields, message) => log(`${message} ${JSON.stringify(fields)}`),
    },
  });
  log(
    "starting admission-svc, checkpoint-svc, image-svc, restore-svc, fence-svc, drain-svc and the gateway",
  );
  await services.startAll();
  return { ...base, services, close: () => services.stopAll() };
}

function orDefault(list: string[], fallback: string): string[] {
  return list.length > 0 ? list : [fallback];
}
