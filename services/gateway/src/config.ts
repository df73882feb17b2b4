import { hostEnv } from "@shadow/host";
import { traceUiUrl } from "@shadow/otel/trace-link";
import { z } from "zod";

export const gatewayEnv = hostEnv.extend({
  SHADOW_GATEWAY_PORT: z.coerce.number().int().min(1).max(65535).default(8480),
  /** Loopback unless told otherwise. */
  SHADOW_GATEWAY_HOST: z.string().min(1).default("127.0.0.1"),
  SHADOW_TOKEN: z
    .string()
    .min(8, "SHADOW_TOKEN must be at least 8 characters")
    .default("shadow-local"),
  /** The trace UI a migration's trace link points into; none by default (see trace-link.ts). */
  SHADOW_TRACE_UI_URL: traceUiUrl,
  /** How often a running migration's copies are asked for their progress, for its timeline; 0: never. */
  SHADOW_TIMELINE_SAMPLE_MS: z.coerce.number().int().min(0).default(100),
  /**
   * How long `POST /migrations` waits for the log's verdict on the request it emitted
   * (admission-svc's answer) before it answers 504. The request stays on the log either way.
   */
  SHADOW_VERDICT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});
