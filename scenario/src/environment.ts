import { randomBytes } from "node:crypto";
import type { Runtime } from "@shadow/runtime";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import type { KubernetesRuntime } from "@shadow/runtime/kubernetes";
import type { LocalRuntime } from "@shadow/runtime/local";
import {
  choreographySpecs,
  defaultLogDir,
  ensureLocalStack,
  Supervisor,
  stackBrokers,
} from "@shadow/supervisor";
import {
  type KubernetesWorkloadKind,
  kubernetesDeployer,
  type WorkloadDeployer,
} from "./kubernetes-workload.ts";
import { bundleExampleService } from "./workload-bundle.ts";
import { type EndpointDiscovery, listedEndpoints } from "./workload-probe.ts";

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
  /** Puts the workload on the runtime when not with `runtime.run` (a Deployment, say). */
  workloads?: WorkloadDeployer;
  /** Where a workload's instances are reached, for the probe: each copy from when it exists. */
  endpoints: EndpointDiscovery;
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
  /**
   * The runtime's configuration (SHADOW_RUNTIME and its adapter's settings), for this process
   * and the six services alike; default: this process's environment (the local runtime).
   */
  runtimeEnv?: Record<string, string>;
  /** On Kubernetes: how the workload is put there (a bare pod by default). */
  kubernetesWorkload?: KubernetesWorkloadKind;
}

/**
 * The runtime, the brokers and the example service's bundle, for a gateway at `gatewayUrl`
 * that someone else runs (`shadow serve`, say).
 */
export async function workloadEnvironment(
  gatewayUrl: string,
  runtimeEnv: Record<string, string> = {},
  kubernetesWorkload: KubernetesWorkloadKind = "pod",
): Promise<WorkloadEnvironment> {
  const jaegerUrl = process.env.SHADOW_JAEGER_QUERY ?? "http://127.0.0.1:16686";
  const runtime = await runtimeFromEnv({ ...process.env, ...runtimeEnv });
  const onKubernetes = { ...process.env, ...runtimeEnv }.SHADOW_RUNTIME === "kubernetes";
  // Every node of the stack's brokers, unless told otherwise.
  const stack = stackBrokers();
  return {
    runtime,
    // The local runtime's records name a copy as soon as it is made, without asking runc.
    endpoints: onKubernetes
      ? listedEndpoints(runtime)
      : (workload) => (runtime as LocalRuntime).endpointsOf(workload),
    ...(onKubernetes
      ? { workloads: kubernetesDeployer(runtime as KubernetesRuntime, kubernetesWorkload) }
      : {}),
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
  const base = await workloadEnvironment(
    `http://127.0.0.1:${gatewayPort}`,
    options.runtimeEnv,
    options.kubernetesWorkload,
  );
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
        // No automatic migration in a scenario unless it asks for one (SHADOW_PRESSURE_MODE):
        // a run measures the migration it starts, and the machine's nodes are shared.
        SHADOW_PRESSURE_MODE: "off",
        ...options.runtimeEnv,
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
    "starting admission-svc, checkpoint-svc, image-svc, restore-svc, fence-svc, drain-svc, the gateway and pressure-svc",
  );
  await services.startAll();
  return {
    ...base,
    services,
    close: async () => {
      await services.stopAll();
      await (base.runtime as { close?: () => Promise<void> }).close?.();
    },
  };
}

function orDefault(list: string[], fallback: string): string[] {
  return list.length > 0 ? list : [fallback];
}
