import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Configuration of the kubernetes adapter, from the environment, validated at start-up:
 *
 *   SHADOW_KUBECONFIG            the kubeconfig (default: $KUBECONFIG, else in-cluster)
 *   SHADOW_K8S_NAMESPACE         the namespace whose pods are instances (default `default`)
 *   SHADOW_AGENT_TOKEN(_FILE)    the node agents' bearer token (or a file holding it); a part
 *                                that never reaches an agent (admission-svc) starts without it
 *   SHADOW_AGENT_PORT            the port agents listen on, at each node's InternalIP (10290)
 *   SHADOW_K8S_WORKLOAD_IMAGE    the image `run` starts (the example service's)
 *   SHADOW_K8S_PLACEHOLDER_IMAGE the image of a restored pod's placeholder container (a pause)
 *   SHADOW_K8S_PULL_POLICY       imagePullPolicy of the pods it makes (default IfNotPresent)
 *   SHADOW_K8S_CRIU_CONFIG       a CRIU options file for the pods `run` makes, named by the
 *                                annotation `org.criu.config` (nodes whose runtime passes it on)
 *   SHADOW_K8S_WAIT_MS           how long a pod may take to be scheduled and started (90 s)
 *   SHADOW_K8S_CPU_REQUEST       the CPU request of the pods `run` makes (500m): a pod without
 *                                one gets the kernel's smallest weight (2 shares) and starves
 *                                beside any pod that has one, source and shadow alike
 */
const envSchema = z.object({
  SHADOW_KUBECONFIG: z.string().optional(),
  KUBECONFIG: z.string().optional(),
  SHADOW_K8S_NAMESPACE: z.string().min(1).default("default"),
  SHADOW_AGENT_TOKEN: z.string().optional(),
  SHADOW_AGENT_TOKEN_FILE: z.string().optional(),
  SHADOW_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(10290),
  SHADOW_K8S_WORKLOAD_IMAGE: z.string().min(1).default("shadow.local/workload:dev"),
  SHADOW_K8S_PLACEHOLDER_IMAGE: z.string().min(1).default("registry.k8s.io/pause:3.10"),
  SHADOW_K8S_PULL_POLICY: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent"),
  SHADOW_K8S_CRIU_CONFIG: z.string().optional(),
  SHADOW_K8S_WAIT_MS: z.coerce.number().int().positive().default(90_000),
  SHADOW_K8S_CPU_REQUEST: z
    .string()
    .regex(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, "a CPU quantity such as 500m or 1")
    .default("500m"),
});

export interface KubernetesRuntimeConfig {
  kubeconfig: string | undefined;
  namespace: string;
  /** Absent in a part that never reaches a node agent: such a call is refused, typed. */
  agentToken: string | undefined;
  agentPort: number;
  workloadImage: string;
  placeholderImage: string;
  pullPolicy: "Always" | "IfNotPresent" | "Never";
  criuConfig: string | undefined;
  waitMs: number;
  /** The CPU request of the pods `run` makes (a quantity; none when absent). */
  cpuRequest?: string;
}

export function loadKubernetesRuntimeConfig(
  env: NodeJS.ProcessEnv = process.env,
): KubernetesRuntimeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid kubernetes runtime config: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    kubeconfig: e.SHADOW_KUBECONFIG || e.KUBECONFIG || undefined,
    namespace: e.SHADOW_K8S_NAMESPACE,
    agentToken: tokenOf(e.SHADOW_AGENT_TOKEN, e.SHADOW_AGENT_TOKEN_FILE),
    agentPort: e.SHADOW_AGENT_PORT,
    workloadImage: e.SHADOW_K8S_WORKLOAD_IMAGE,
    placeholderImage: e.SHADOW_K8S_PLACEHOLDER_IMAGE,
    pullPolicy: e.SHADOW_K8S_PULL_POLICY,
    criuConfig: e.SHADOW_K8S_CRIU_CONFIG || undefined,
    waitMs: e.SHADOW_K8S_WAIT_MS,
    cpuRequest: e.SHADOW_K8S_CPU_REQUEST,
  };
}

function tokenOf(token: string | undefined, file: string | undefined): string | undefined {
  if (token === undefined && file === undefined) return undefined;
  const value = (token ?? (file ? readFileSync(file, "utf8") : "")).trim();
  if (value.length < 16) {
    throw new Error(
      "invalid kubernetes runtime config: SHADOW_AGENT_TOKEN or SHADOW_AGENT_TOKEN_FILE must give the node agents' token (16+ characters)",
    );
  }
  return value;
}
