import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);

/** `shadow serve`'s settings, from the environment; validated once, at start-up. */
export const serveEnv = z.object({
  /** The `<env>` of the consumer groups `shadow.<service>.<env>`. */
  SHADOW_ENV: z
    .string()
    .regex(/^[a-z0-9-]+$/, "SHADOW_ENV: lower-case letters, digits and dashes")
    .default("local"),
  SHADOW_GATEWAY_PORT: port.min(1).default(8480),
  /** Health endpoints at base + 1 … base + 6 (checkpoint-svc … gateway); 0: free ports. */
  SHADOW_HEALTH_PORT_BASE: port.default(8490),
  /** Prometheus endpoints at base + 1 … base + 6; 0: free ports. */
  SHADOW_METRICS_PORT_BASE: port.default(9470),
  /** Time a service has to stop after SIGTERM before it gets SIGKILL. */
  SHADOW_STOP_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Longest wait before restarting a service that keeps dying. */
  SHADOW_RESTART_MAX_DELAY_MS: z.coerce.number().int().positive().default(30_000),
});

export type ServeConfig = z.infer<typeof serveEnv>;

export function loadServeConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const parsed = serveEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid shadow serve configuration\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
