import { z } from "zod";

/** Settings every service reads from its environment. */
export const hostEnv = z.object({
  SHADOW_KAFKA_BROKERS: z
    .string()
    .default("127.0.0.1:9092")
    .transform((s) =>
      s
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, "brokers are host:port")).min(1)),
  SHADOW_ENV: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default("local"),
  SHADOW_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  /** `/health` and `/ready` (see health.ts); a supervisor gives each service its own; 0: any. */
  SHADOW_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Loopback unless told otherwise. */
  SHADOW_HEALTH_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Set by a supervisor to its own pid: the process stops itself once its parent is gone, so a
   * supervisor that was killed outright leaves no service behind holding its ports and groups.
   */
  SHADOW_SUPERVISOR_PID: z.coerce.number().int().positive().optional(),
  /**
   * The checkpoint step's deadline; the other steps' are multiples of it (stepDeadlineMs). A step
   * retries what may pass within it; the gateway's watchdog fails a step that outlives it (the
   * migration then rolls back).
   */
  SHADOW_STEP_DEADLINE_MS: z.coerce.number().int().positive().default(60_000),
});

export type HostEnv = z.infer<typeof hostEnv>;

/**
 * Parses the environment against `schema` once, at start-up, and fails with every problem
 * named, so a typo stops the service before it touches anything.
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`${service}: invalid configuration\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
