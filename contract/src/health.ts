import { z } from "zod";
import { instanceId } from "./names.ts";
import { workloadMode } from "./status.ts";

/**
 * `GET /health`: 200 with this body while the process lives, fenced and idle included (being
 * silent on Kafka is not being down). Probes ask it every 10 ms during a migration: it must
 * answer without waiting for Kafka.
 */
export const healthBody = z.object({
  ok: z.literal(true),
  mode: workloadMode,
  /** null while the identity file cannot be read. */
  instance: instanceId.nullable(),
});
export type HealthBody = z.infer<typeof healthBody>;
