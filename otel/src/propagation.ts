import { type Context, context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE } from "./traceparent.ts";

/**
 * W3C trace context in and out of CloudEvents and Kafka headers.
 *
 * We use the W3C format directly rather than the global propagator: trace context must keep
 * flowing from event to event even in a process that never started the SDK (a CLI, a test, a
 * workload), where the global propagator is a no-op. Without a tracer provider, spans are
 * non-recording but still carry the parent's ids, so a migration stays one trace across every
 * hop. This module depends on `@opentelemetry/api` only.
 */

/** The distributed tracing extension attributes of a CloudEvent (names fixed by the spec). */
export interface TraceExtensions {
  traceparent?: string;
  tracestate?: string;
}

/** Kafka header values as kafkajs hands them over: Buffers, strings, repeated headers as arrays. */
export type RawHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function headerText(value: RawHeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/**
 * The trace context of `ctx` (default: the active one) as CloudEvent extension attributes.
 * Empty when there is no valid span in the context.
 */
export function traceExtensions(ctx: Context = context.active()): TraceExtensions {
  return formatTraceparent(ctx) ?? {};
}

/**
 * Writes `traceparent`/`tracestate` of `ctx` into `carrier` (CloudEvent extensions or Kafka
 * headers, both use the same two names).
 */
export function injectTraceContext(
  carrier: Record<string, unknown>,
  ctx: Context = context.active(),
): void {
  Object.assign(carrier, formatTraceparent(ctx));
}

/**
 * The remote parent described by `traceparent`/`tracestate` in `carrier`, on top of `base`.
 * Accepts Kafka headers as kafkajs gives them (Buffers). Returns `base` unchanged when the
 * carrier holds no valid trace context.
 */
export function extractTraceContext(
  carrier: Record<string, unknown> | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  if (!carrier) return base;
  const traceparent = headerText(carrier[TRACEPARENT] as RawHeaderValue);
  if (traceparent === undefined) return base;
  const span = parseTraceparent(traceparent, headerText(carrier[TRACESTATE] as RawHeaderValue));
  return span ? trace.setSpanContext(base, span) : base;
}

/**
 * The parent context of an incoming event: the CloudEvent's own extension first (it names the
 * span that emitted the event), the plain Kafka header second (a transport instrumentation may
 * have rewritten it to point at its own send span; same trace either way).
 */
export function parentContextOf(
  extensions: TraceExtensions,
  kafkaHeaders?: Record<string, unknown>,
): Context {
  const fromEvent = extractTraceContext({ ...extensions });
  if (trace.getSpanContext(fromEvent)) return fromEvent;
  return extractTraceContext(kafkaHeaders);
}

/** The trace id of the active span, if any: for logs and for links printed to users. */
export function activeTraceId(ctx: Context = context.active()): string | undefined {
  return trace.getSpanContext(ctx)?.traceId;
}
