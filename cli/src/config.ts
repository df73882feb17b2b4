import { z } from "zod";

const cliEnv = z.object({
  SHADOW_GATEWAY_URL: z.url().default("http://127.0.0.1:8480"),
  SHADOW_TOKEN: z.string().min(1).default("shadow-local"),
  SHADOW_TRACE_LINK: z.string().default("http://127.0.0.1:16686/trace/{traceId}"),
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
