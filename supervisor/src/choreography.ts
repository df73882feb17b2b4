import { join } from "node:path";
import { repoRoot } from "./paths.ts";
import { freePorts } from "./ports.ts";
import type { ServiceSpec } from "./types.ts";

/** Every service of the choreography, by the package folder under services/ that holds its main. */
export const choreographyServices = [
  "checkpoint-svc",
  "image-svc",
  "restore-svc",
  "fence-svc",
  "drain-svc",
  "gateway",
  // Last, so the ports of the services before it stay where they were.
  "admission-svc",
] as const;
export type ServiceName = (typeof choreographyServices)[number];

export interface ChoreographyOptions {
  /**
   * The `<env>` of every consumer group `shadow.<service>.<env>`. The same name on every start,
   * so a restarted service resumes from its group's committed offset; a test passes a name of
   * its own so that its services share no group with anyone else's.
   */
  shadowEnv: string;
  gatewayPort: number;
  /** Service i (in `choreographyServices` order) gets base + 1 + i; 0: free ports from the OS. */
  healthPortBase: number;
  /** The same for the Prometheus endpoints. */
  metricsPortBase: number;
  /** More environment for every service: brokers, token, step deadlines, ... */
  env?: Record<string, string>;
  /** Loopback unless told otherwise. */
  host?: string;
}

/** Port of service `index`: from a fixed base, or from the free ones picked for this start. */
async function portsFrom(base: number, count: number, host: string): Promise<number[]> {
  if (base === 0) return freePorts(count, host);
  return Array.from({ length: count }, (_, i) => base + 1 + i);
}

/**
 * What the supervisor runs for shadow: the seven services, each its own process (its main under
 * tsx), with its consumer-group env, its health and metrics ports, and the gateway's API port.
 */
export async function choreographySpecs(options: ChoreographyOptions): Promise<ServiceSpec[]> {
  const host = options.host ?? "127.0.0.1";
  const count = choreographyServices.length;
  const health = await portsFrom(options.healthPortBase, count, host);
  const metrics = await portsFrom(options.metricsPortBase, count, host);
  return choreographyServices.map((name, i) => ({
    name,
    command: process.execPath,
    args: [
      "--import",
      join(repoRoot, "node_modules/tsx/dist/esm/index.mjs"),
      join(repoRoot, "services", name, "src/main.ts"),
    ],
    cwd: repoRoot,
    env: {
      ...options.env,
      SHADOW_ENV: options.shadowEnv,
      SHADOW_GATEWAY_PORT: String(options.gatewayPort),
      SHADOW_HEALTH_HOST: host,
      SHADOW_HEALTH_PORT: String(health[i]),
      SHADOW_METRICS_HOST: host,
      SHADOW_METRICS_PORT: String(metrics[i]),
    },
    healthUrl: `http://${host}:${health[i]}`,
  }));
}
