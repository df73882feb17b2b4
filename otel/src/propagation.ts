import {
  type Context,
  context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * W3C trace context in and out of CloudEvents and Kafka headers.
 *
 * We use the W3C propagator directly rather than the global one: trace context must keep
 * flowing from event to event even in a process that never started the SDK (a CLI, a test),
 * where the global propagator is a no-op. Without a tracer provider, spans are non-recording
 * but still carry the parent's ids, so a migration stays one trace across every hop.
 */
const w3c = new W3CTraceContextPropagator();

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

const getter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] as RawHeaderValue;
    return headerText(value);
  },
};

const setter: TextMapSetter<Record<string, unknown>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The trace context of `ctx` (default: the active one) as CloudEvent extension attributes.
 * Empty when there is no valid span in the context.
 */
export function traceExtensions(ctx: Context = context.active()): TraceExtensions {
  const carrier: Record<string, unknown> = {};
  w3c.inject(ctx, carrier, setter);
  const out: TraceExtensions = {};
  if (typeof carrier.traceparent === "string") out.traceparent = carrier.traceparent;
  if (typeof carrier.tracestate === "string") out.tracestate = carrier.tracestate;
  return out;
}

/**
 * Writes `traceparent`/`tracestate` of `ctx` into `carrier` (CloudEvent extensions or Kafka
 * headers, both use the same two names).
 */
export function injectTraceContext(
  carrier: Record<string, unknown>,
  ctx: Context = context.active(),
): void {
  w3c.inject(ctx, carrier, setter);
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
  return w3c.extract(base, carrier, getter);
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
