import { context, diag, metrics, propagation, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resolveTelemetryConfig, type TelemetryConfig, type TelemetryOptions } from "./config.ts";
import { ensureKafkajsPatched, kafkajsInstrumentation } from "./kafkajs.ts";
import { createMetricsServer } from "./metrics-server.ts";

export interface Telemetry {
  readonly config: TelemetryConfig;
  /** Where Prometheus scrapes this process, when metrics are on. */
  readonly metricsUrl: string | undefined;
  /** Sends every finished span now (tests call it before asking Jaeger). */
  flush(): Promise<void>;
  /** Flushes spans and metrics, stops the metrics server, unregisters the global providers. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/**
 * Starts OpenTelemetry for this process: traces over OTLP/HTTP (protobuf) to
 * OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4318), metrics for Prometheus on
 * SHADOW_METRICS_PORT (default 9464, loopback), the kafkajs instrumentation, W3C propagation.
 * Call it first thing in a service's main; once per process.
 *
 * @example
 * const telemetry = await startTelemetry({ serviceName: "checkpoint-svc", metricsPort: 9471 });
 * process.once("SIGTERM", () => void telemetry.shutdown());
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (running) {
    throw new Error(
      `telemetry already started for ${running.config.serviceName}: call shutdown() first`,
    );
  }
  const config = resolveTelemetryConfig(options);
  const exporter = new OTLPTraceExporter({ url: `${config.otlpEndpoint}/v1/traces` });
  const spans = new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs });
  const metricsServer =
    config.metricsPort === false
      ? undefined
      : createMetricsServer(config.metricsPort, config.metricsHost);

  const instrumentations = config.instrumentKafkajs ? [kafkajsInstrumentation()] : [];
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: [spans],
    metricReaders: metricsServer ? [metricsServer.reader] : [],
    // No OTLP logs: logs go to pino (with trace ids); Jaeger takes traces only.
    logRecordProcessors: [],
    instrumentations,
  });
  sdk.start();
  if (config.instrumentKafkajs) ensureKafkajsPatched();

  let metricsUrl: string | undefined;
  try {
    metricsUrl = await metricsServer?.listen();
  } catch (error) {
    await sdk.shutdown();
    unregisterGlobals();
    throw new Error(
      `metrics server could not listen on ${config.metricsHost}:${String(config.metricsPort)}`,
      { cause: error },
    );
  }

  const telemetry: Telemetry = {
    config,
    metricsUrl,
    flush: () => spans.forceFlush(),
    async shutdown() {
      if (running !== telemetry) return;
      running = undefined;
      try {
        await sdk.shutdown();
      } finally {
        await metricsServer?.close();
        // The SDK leaves instrumentations patched; a later start would patch kafkajs twice.
        for (const instrumentation of instrumentations) instrumentation.disable();
        unregisterGlobals();
      }
    },
  };
  running = telemetry;
  return telemetry;
}

/** So a later startTelemetry in the same process (tests) can register its providers again. */
function unregisterGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}
