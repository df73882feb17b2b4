import { DEFAULT_IDENTITY_PATH, IDENTITY_FILE_ENV } from "@shadow/contract";
import { topics } from "@shadow/events";
import { z } from "zod";

const list = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1)).min(1));

/** The example service's configuration, from the environment (validated at start-up). */
export const exampleConfigSchema = z.object({
  SHADOW_KAFKA_BROKERS: list.default(["127.0.0.1:9092"]),
  SHADOW_INPUT_TOPICS: list.default(["shadow.example.input"]),
  SHADOW_OUTPUT_TOPIC: z.string().min(1).default("shadow.example.output"),
  SHADOW_DLQ_TOPIC: z.string().min(1).default("shadow.example.dlq"),
  SHADOW_CONTROL_TOPIC: z.string().min(1).default(topics.control),
  /** The identity file; default: where the platform says, else the contract's default path. */
  SHADOW_IDENTITY_PATH: z.string().min(1).optional(),
  [IDENTITY_FILE_ENV]: z.string().min(1).default(DEFAULT_IDENTITY_PATH),
  SHADOW_HTTP_HOST: z.string().min(1).default("0.0.0.0"),
  SHADOW_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** In-memory state beyond the balances, really written so its pages exist (0 to 1 GB). */
  SHADOW_BALLAST_MB: z.coerce.number().int().min(0).max(1024).default(0),
  /** Processing cost per record, as in the paper's workload. */
  SHADOW_COST_MS: z.coerce.number().min(0).max(10_000).default(10),
  /** `sleep` leaves the CPU free; `busy` burns it (a CPU-bound service). */
  SHADOW_COST_MODE: z.enum(["sleep", "busy"]).default("sleep"),
  SHADOW_MAX_HELD: z.coerce.number().int().positive().default(100_000),
  SHADOW_MAX_PENDING_OUTPUTS: z.coerce.number().int().positive().default(10_000),
  SHADOW_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
});

export type ExampleConfigInput = z.input<typeof exampleConfigSchema>;

export interface ExampleConfig {
  brokers: string[];
  inputTopics: string[];
  outputTopic: string;
  deadLetterTopic: string;
  controlTopic: string;
  identityPath: string;
  httpHost: string;
  httpPort: number;
  ballastMb: number;
  costMs: number;
  costMode: "sleep" | "busy";
  maxHeldOutputs: number;
  maxPendingOutputs: number;
  logLevel: string;
}

/** Reads the configuration; throws one message naming every bad variable. */
export function loadExampleConfig(
  env: Record<string, string | undefined> = process.env,
): ExampleConfig {
  const parsed = exampleConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`example service configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const c = parsed.data;
  return {
    brokers: c.SHADOW_KAFKA_BROKERS,
    inputTopics: c.SHADOW_INPUT_TOPICS,
    outputTopic: c.SHADOW_OUTPUT_TOPIC,
    deadLetterTopic: c.SHADOW_DLQ_TOPIC,
    controlTopic: c.SHADOW_CONTROL_TOPIC,
    identityPath: c.SHADOW_IDENTITY_PATH ?? c[IDENTITY_FILE_ENV],
    httpHost: c.SHADOW_HTTP_HOST,
    httpPort: c.SHADOW_HTTP_PORT,
    ballastMb: c.SHADOW_BALLAST_MB,
    costMs: c.SHADOW_COST_MS,
    costMode: c.SHADOW_COST_MODE,
    maxHeldOutputs: c.SHADOW_MAX_HELD,
    maxPendingOutputs: c.SHADOW_MAX_PENDING_OUTPUTS,
    logLevel: c.SHADOW_LOG_LEVEL,
  };
}
