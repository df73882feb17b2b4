import { z } from "zod";

/**
 * What a hosted process answers on `GET /health` and `GET /ready`: the same body, with 200 or
 * 503. A supervisor reads it to learn when a process it started can take work, and where its
 * metrics are. No I/O here, so a supervisor can parse it without loading a service's stack.
 */
export const healthReport = z.object({
  service: z.string().min(1),
  /**
   * `starting`: alive, not consuming or serving yet. `ready`: doing its job. `stopping`: shutting
   * down after a signal. `failed`: its consumer stopped by itself; the process exits soon.
   */
  status: z.enum(["starting", "ready", "stopping", "failed"]),
  pid: z.number().int().positive(),
  /** Where Prometheus scrapes this process, when it serves metrics. */
  metrics: z.string().optional(),
  startedAt: z.iso.datetime(),
});

export type HealthReport = z.infer<typeof healthReport>;
export type HealthStatus = HealthReport["status"];
