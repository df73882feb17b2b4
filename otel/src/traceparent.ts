import {
  type Context,
  createContextKey,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";

/**
 * The W3C Trace Context header pair (https://www.w3.org/TR/trace-context/), written against
 * `@opentelemetry/api` alone so that a library carrying trace context does not pull the SDK
 * (whose `@opentelemetry/core` holds the stock propagator) into every process that links it.
 */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

// version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex; version ff is invalid
// and all-zero ids are invalid (spec §3.2.2). Later versions may append "-" fields.
const TRACEPARENT_FORMAT =
  /^\s?((?!ff)[\da-f]{2})-((?![0]{32})[\da-f]{32})-((?![0]{16})[\da-f]{16})-([\da-f]{2})(-.*)?\s?$/;

// The SDK marks its own exports (an exporter's HTTP request) with this key: no context leaves
// such a request. createContextKey is Symbol.for, so this is the SDK's very key.
const SUPPRESS_TRACING = createContextKey("OpenTelemetry SDK Context Key SUPPRESS_TRACING");

/** `traceparent` of a span context, or undefined when it has no valid span. */
export function formatTraceparent(
  ctx: Context,
): { traceparent: string; tracestate?: string } | undefined {
  const span = trace.getSpanContext(ctx);
  if (!span || !isSpanContextValid(span) || ctx.getValue(SUPPRESS_TRACING) === true)
    return undefined;
  const flags = (span.traceFlags || TraceFlags.NONE).toString(16).padStart(2, "0");
  const traceparent = `00-${span.traceId}-${span.spanId}-${flags}`;
  const tracestate = span.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The remote span context a `traceparent` (and `tracestate`) describe; undefined if invalid. */
export function parseTraceparent(
  traceparent: string,
  tracestate?: string,
): SpanContext | undefined {
  const match = TRACEPARENT_FORMAT.exec(traceparent);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version 00 has exactly four fields; a later version may carry more, which we ignore.
  if (version === "00" && rest) return undefined;
  if (!traceId || !spanId || !flags) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
  };
  if (tracestate) context.traceState = createTraceState(tracestate);
  return context;
}
