export { AgentClient } from "./agent-client.ts";
export type { AgentState } from "./agent-protocol.ts";
export { type KubernetesRuntimeConfig, loadKubernetesRuntimeConfig } from "./config.ts";
export { createKubernetesRuntime, KubernetesRuntime } from "./kubernetes-runtime.ts";
export { Annotation, Label } from "./labels.ts";
export { nodeProxy } from "./node-proxy.ts";
export { nativeRestore } from "./nodes.ts";
export { toInstanceInfo } from "./pod-instance.ts";
export { workloadPod } from "./pod-specs.ts";
