import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { AGENT_PORT } from "@shadow/runtime/kubernetes/agent-protocol";
import { z } from "zod";

/**
 * The agent's configuration, from the environment, validated at start-up. An agent serves one
 * node: its containerd (through crictl and ctr), the kubelet's checkpoint directory, and a
 * runc root of its own for the processes it restores (the kubelet never sees them).
 */
const envSchema = z.object({
  SHADOW_AGENT_NODE: z.string().min(1, "SHADOW_AGENT_NODE: the node this agent serves"),
  SHADOW_AGENT_HOST: z.string().min(1, "SHADOW_AGENT_HOST: the address to listen on"),
  SHADOW_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(AGENT_PORT),
  SHADOW_AGENT_TOKEN: z.string().optional(),
  SHADOW_AGENT_TOKEN_FILE: z.string().optional(),
  // A stock node's: containerd's socket and the kubelet's checkpoint directory.
  SHADOW_AGENT_CONTAINERD: z.string().min(1).default("/run/containerd/containerd.sock"),
  SHADOW_AGENT_CONTAINERD_NAMESPACE: z.string().default("k8s.io"),
  SHADOW_AGENT_CHECKPOINT_DIR: z.string().min(1).default("/var/lib/kubelet/checkpoints"),
  SHADOW_STATE: z.string().default("/var/lib/shadow"),
  SHADOW_AGENT_STATE: z.string().optional(),
  SHADOW_CACHE: z.string().optional(),
  SHADOW_CRIU: z.string().optional(),
  SHADOW_RUNC: z.string().default("runc"),
  SHADOW_CTR: z.string().default("ctr"),
  SHADOW_CRICTL: z.string().default("crictl"),
  SHADOW_LOG_LEVEL: z.string().default("info"),
});

export interface AgentConfig {
  node: string;
  host: string;
  port: number;
  token: string;
  containerd: { socket: string; namespace: string };
  checkpointDir: string;
  stateDir: string;
  criu: string;
  runc: string;
  ctr: string;
  crictl: string;
  logLevel: string;
}

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.message);
    throw new Error(`invalid node agent configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const cache = e.SHADOW_CACHE || join(homedir(), ".cache", "shadow");
  const token = agentToken(e.SHADOW_AGENT_TOKEN, e.SHADOW_AGENT_TOKEN_FILE);
  return {
    node: e.SHADOW_AGENT_NODE,
    host: e.SHADOW_AGENT_HOST,
    port: e.SHADOW_AGENT_PORT,
    token,
    containerd: {
      socket: e.SHADOW_AGENT_CONTAINERD,
      namespace: e.SHADOW_AGENT_CONTAINERD_NAMESPACE,
    },
    checkpointDir: e.SHADOW_AGENT_CHECKPOINT_DIR,
    stateDir: e.SHADOW_AGENT_STATE || join(e.SHADOW_STATE, "agent", e.SHADOW_AGENT_NODE),
    criu: e.SHADOW_CRIU || join(cache, "bin", "criu"),
    runc: e.SHADOW_RUNC,
    ctr: e.SHADOW_CTR,
    crictl: e.SHADOW_CRICTL,
    logLevel: e.SHADOW_LOG_LEVEL,
  };
}

/** The bearer token, given itself or in a file (kept out of process listings and logs). */
export function agentToken(token: string | undefined, file: string | undefined): string {
  const value = (token ?? (file ? readFileSync(file, "utf8") : "")).trim();
  if (value.length < 16) {
    throw new Error(
      "invalid node agent configuration: SHADOW_AGENT_TOKEN or SHADOW_AGENT_TOKEN_FILE must give a token of 16+ characters",
    );
  }
  return value;
}
