export { defaultRestartPolicy, nextAttempt, restartDelay } from "./backoff.ts";
export {
  type ChoreographyOptions,
  choreographyServices,
  choreographySpecs,
  type ServiceName,
} from "./choreography.ts";
export { loadServeConfig, type ServeConfig, serveEnv } from "./config.ts";
export {
  type AgentsInfo,
  agentsInfoSchema,
  type ClusterInfo,
  type ClusterNode,
  clusterInfoSchema,
  clusterNodeSchema,
  ensureLocalCluster,
  localClusterRuntimeEnv,
  readLocalCluster,
} from "./local-cluster.ts";
export { ensureLocalStack, stackBrokers } from "./local-stack.ts";
export { defaultLogDir, repoRoot } from "./paths.ts";
export { freePort, freePorts } from "./ports.ts";
export { Supervisor, type SupervisorOptions } from "./supervisor.ts";
export type {
  RestartPolicy,
  ServiceSpec,
  ServiceState,
  ServiceStatus,
  SupervisorLog,
} from "./types.ts";
