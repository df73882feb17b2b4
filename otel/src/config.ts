import { z } from "zod";

/**
 * Telemetry settings, from explicit options first and the environment second, validated once
 * at start-up so a typo fails loudly instead of silently exporting nowhere.
 */
const telemetryConfig = z.object({
  serviceName: z.string().min(1, "serviceName is required"),
  /** Base URL of the OTLP/HTTP receiver; traces go to `<endpoint>/v1/traces`. */
  otlpEndpoint: z.url("OTEL_EXPORTER_OTLP_ENDPOINT must be a URL (http://127.0.0.1:4318)"),
  /** Prometheus scrape port; 0 picks a free one; `false` serves no metrics. */
  metricsPort: z.union([z.literal(false), z.number().int().min(0).max(65535)]),
  /** Loopback unless told otherwise: nothing here listens on other addresses by default. */
  metricsHost: z.string().min(1),
  /** How long finished spans wait before the batch is sent (ms). */
  exportDelayMs: z.number().int().positive(),
  instrumentKafkajs: z.boolean(),
});

export type TelemetryConfig = z.infer<typeof telemetryConfig>;

export interface TelemetryOptions {
  serviceName: string;
  otlpEndpoint?: string;
  metricsPort?: number | false;
  metricsHost?: string;
  exportDelayMs?: number;
  /** Patch kafkajs with the OpenTelemetry instrumentation (transport spans, client metrics). */
  instrumentKafkajs?: boolean;
}

function envPort(value: string | undefined): number | false | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "off" || value === "false") return false;
  return Number(value);
}

export function resolveTelemetryConfig(
  options: TelemetryOptions,
  env: NodeJS.ProcessEnv = process.env,
): TelemetryConfig {
  const parsed = telemetryConfig.safeParse({
    serviceName: options.serviceName,
    otlpEndpoint: (
      options.otlpEndpoint ??
      env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      "http://127.0.0.1:4318"
    ).replace(/\/+$/, ""),
    metricsPort: options.metricsPort ?? envPort(env.SHADOW_METRICS_PORT) ?? 9464,
    metricsHost: options.metricsHost ?? env.SHADOW_METRICS_HOST ?? "127.0.0.1",
    exportDelayMs: options.exportDelayMs ?? 1000,
    instrumentKafkajs: options.instrumentKafkajs ?? true,
  });
  if (!parsed.success) {
    throw new Error(`telemetry configuration is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
