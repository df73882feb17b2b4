import { context, trace } from "@opentelemetry/api";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

export interface LoggerConfig {
  /** The service or component, logged as `name` on every record. */
  name: string;
  /** Default: SHADOW_LOG_LEVEL, else "info". */
  level?: string;
  /** Default: stdout. Tests pass a stream to read records back. */
  destination?: DestinationStream;
  /** Fields on every record, e.g. `{ node: "node-a" }`. */
  base?: Record<string, unknown>;
}

/**
 * A pino logger whose records carry `trace_id` and `span_id` of the span active when the record
 * is written, so a log line leads to its trace in Jaeger.
 *
 * @example
 * const log = createLogger({ name: "checkpoint-svc" });
 * log.info({ migrationId, phase: "dump" }, "checkpoint created");
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    name: config.name,
    level: config.level ?? process.env.SHADOW_LOG_LEVEL ?? "info",
    base: { pid: process.pid, ...config.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Called for every record: cheap (one async-local-storage lookup) and always current.
    mixin() {
      const span = trace.getSpan(context.active());
      const sc = span?.spanContext();
      if (!sc || !trace.isSpanContextValid(sc)) return {};
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
