export type { TelemetryConfig, TelemetryOptions } from "./config.ts";
export { resolveTelemetryConfig } from "./config.ts";
export { createLogger, type Logger, type LoggerConfig } from "./logger.ts";
export {
  activeTraceId,
  extractTraceContext,
  injectTraceContext,
  parentContextOf,
  type RawHeaderValue,
  type TraceExtensions,
  traceExtensions,
} from "./propagation.ts";
export { startTelemetry, type Telemetry } from "./telemetry.ts";
