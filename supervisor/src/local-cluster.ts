import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { z } from "zod";
import { repoRoot } from "./paths.ts";

/**
 * What the local Kubernetes cluster provides, as `deploy/cluster/cluster.sh info` prints it
 * (deploy/cluster/README.md explains every field).
 */
export const clusterNodeSchema = z.object({
  name: z.string(),
  ip: z.string(),
  podCidr: z.string(),
  kubeletPort: z.number(),
  containerdSocket: z.string(),
  containerdNamespace: z.string(),
  kubeletRoot: z.string(),
  checkpointDir: z.string(),
  runcRoot: z.string(),
  cgroupRoot: z.string(),
  crictlConfig: z.string(),
});
export type ClusterNode = z.infer<typeof clusterNodeSchema>;

export const clusterInfoSchema = z.object({
  kubernetesVersion: z.string(),
  apiServer: z.string(),
  kubeconfig: z.string(),
  caFile: z.string(),
  bridge: z.string(),
  gateway: z.string(),
  nodes: z.array(clusterNodeSchema).min(1),
  fakeNodeAnnotation: z.record(z.string(), z.string()),
  criuCheckpointConfig: z.string(),
  criuConfigAnnotation: z.string(),
  /** `shadow`: the images.json of shadow's own images (deploy/images), as built for the nodes. */
  images: z.object({ pause: z.string(), workload: z.string(), shadow: z.string() }),
  tools: z.object({ kubectl: z.string(), crictl: z.string(), ctr: z.string() }),
});
export type ClusterInfo = z.infer<typeof clusterInfoSchema>;

/** shadow's node agents on the cluster's nodes (deploy/cluster/agents.sh info). */
export const agentsInfoSchema = z.object({ port: z.number(), tokenFile: z.string() });
export type AgentsInfo = z.infer<typeof agentsInfoSchema>;

const clusterScript = "deploy/cluster/cluster.sh";
const agentsScript = "deploy/cluster/agents.sh";

/**
 * Brings the local cluster up (`cluster.sh up`: idempotent, seconds when it runs, ~15 minutes
 * the first time on a machine, building its binaries) unless told it is up, starts shadow's node
 * agent on each node, and returns what both report.
 */
export async function ensureLocalCluster(
  options: { up?: boolean; log?: (line: string) => void } = {},
): Promise<{ cluster: ClusterInfo; agents: AgentsInfo }> {
  if (!options.up) await runScript(clusterScript, "up", options.log);
  await runScript(agentsScript, "start", options.log);
  return readLocalCluster();
}

/** What the running local cluster and its agents report. */
export async function readLocalCluster(): Promise<{ cluster: ClusterInfo; agents: AgentsInfo }> {
  const run = promisify(execFile);
  const cluster = await run("bash", [clusterScript, "info"], { cwd: repoRoot });
  const agents = await run("bash", [agentsScript, "info"], { cwd: repoRoot });
  return {
    cluster: clusterInfoSchema.parse(JSON.parse(cluster.stdout)),
    agents: agentsInfoSchema.parse(JSON.parse(agents.stdout)),
  };
}

/**
 * The environment a process reads the kubernetes runtime from (SHADOW_RUNTIME=kubernetes), for
 * the local cluster and one namespace: the images are the ones the nodes imported.
 */
export function localClusterRuntimeEnv(
  { cluster, agents }: { cluster: ClusterInfo; agents: AgentsInfo },
  namespace: string,
): Record<string, string> {
  return {
    SHADOW_RUNTIME: "kubernetes",
    SHADOW_KUBECONFIG: cluster.kubeconfig,
    SHADOW_K8S_NAMESPACE: namespace,
    SHADOW_AGENT_TOKEN_FILE: agents.tokenFile,
    SHADOW_AGENT_PORT: String(agents.port),
    SHADOW_K8S_WORKLOAD_IMAGE: cluster.images.workload,
    SHADOW_K8S_PLACEHOLDER_IMAGE: cluster.images.pause,
    SHADOW_K8S_PULL_POLICY: "Never",
    SHADOW_K8S_CRIU_CONFIG: cluster.criuCheckpointConfig,
  };
}

/** Runs one of the cluster's scripts; its output goes to `log` (else to this process's). */
function runScript(script: string, command: string, log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdin closed, and the daemons get their own log files: nothing here waits on a pipe a
    // daemon still holds.
    const child = spawn("bash", [script, command], {
      cwd: repoRoot,
      stdio: ["ignore", log ? "pipe" : "inherit", log ? "pipe" : "inherit"],
    });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) log?.(line);
    };
    child.stdout?.on("data", relay);
    child.stderr?.on("data", relay);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${script} ${command} failed (${signal ?? `exit ${code}`})`));
    });
  });
}
