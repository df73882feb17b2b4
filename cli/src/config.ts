import { traceUiUrl } from "@shadow/otel/trace-link";
import { z } from "zod";

const cliEnv = z.object({
  SHADOW_GATEWAY_URL: z.url().default("http://127.0.0.1:8480"),
  SHADOW_TOKEN: z.string().min(1).default("shadow-local"),
  /** A trace UI to link migrations' traces into; none by default (the local Jaeger has none). */
  SHADOW_TRACE_UI_URL: traceUiUrl,
  /** Jaeger's query API, which `shadow trace` reads. */
  SHADOW_JAEGER_QUERY: z.url().default("http://127.0.0.1:16686"),
});

export type CliConfig = z.infer<typeof cliEnv>;

/** The CLI's settings from the environment, validated, with a message naming the bad variable. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const parsed = cliEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid shadow CLI configuration: ${issues}`);
  }
  return parsed.data;
}
