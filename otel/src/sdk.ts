/**
 * `@shadow/otel/sdk`: starts the OpenTelemetry SDK (traces over OTLP, kafkajs instrumentation,
 * Prometheus metrics). Only a process's main imports this; libraries use `@shadow/otel/context`
 * and `@shadow/otel/logger`, which depend on `@opentelemetry/api` alone.
 */

export type { TelemetryConfig, TelemetryOptions } from "./config.ts";
export { resolveTelemetryConfig } from "./config.ts";
export { startTelemetry, type Telemetry } from "./telemetry.ts";
