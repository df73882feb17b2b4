import { readFileSync } from "node:fs";
import type { KubernetesRuntimeConfig } from "@shadow/runtime/kubernetes";
import { localClusterRuntimeEnv } from "@shadow/supervisor";
import { inject } from "vitest";
import type { AgentsInfo, ClusterInfo } from "../setup/cluster-info.ts";

/** The local cluster and its agents, as the `kubernetes` project's globalSetup provides them. */
export function providedCluster(): { cluster: ClusterInfo; agents: AgentsInfo } {
  const cluster = inject("cluster");
  const agents = inject("agents");
  if (!cluster || !agents)
    throw new Error("no cluster provided: run this file in the kubernetes project");
  return { cluster, agents };
}

/** The kubernetes adapter's configuration for the local cluster and one namespace. */
export function adapterConfig(namespace: string): KubernetesRuntimeConfig {
  const { cluster, agents } = providedCluster();
  return {
    kubeconfig: cluster.kubeconfig,
    namespace,
    agentToken: readFileSync(agents.tokenFile, "utf8").trim(),
    agentPort: agents.port,
    workloadImage: cluster.images.workload,
    placeholderImage: cluster.images.pause,
    pullPolicy: "Never",
    criuConfig: cluster.criuCheckpointConfig,
    waitMs: 90_000,
    cpuRequest: "500m",
  };
}

/** The same, as the environment a service process reads it from (SHADOW_RUNTIME=kubernetes). */
export function adapterEnv(namespace: string): Record<string, string> {
  return localClusterRuntimeEnv(providedCluster(), namespace);
}
