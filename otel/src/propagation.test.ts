import { ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  extractTraceContext,
  injectTraceContext,
  parentContextOf,
  traceExtensions,
} from "./propagation.ts";

const traceId = "0af7651916cd43dd8448eb211c80319c";
const spanId = "b7ad6b7169203331";
const remote = trace.setSpanContext(ROOT_CONTEXT, {
  traceId,
  spanId,
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

describe("traceExtensions", () => {
  it("writes the W3C traceparent of a context", () => {
    expect(traceExtensions(remote)).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });

  it("is empty without a span", () => {
    expect(traceExtensions(ROOT_CONTEXT)).toEqual({});
  });
});

describe("extractTraceContext", () => {
  it("reads Kafka headers as kafkajs gives them (Buffers, repeated keys)", () => {
    const ctx = extractTraceContext({
      traceparent: [Buffer.from(`00-${traceId}-${spanId}-01`), Buffer.from("00-ignored")],
      tracestate: Buffer.from("vendor=1"),
    });
    const sc = trace.getSpanContext(ctx);
    expect(sc).toMatchObject({ traceId, spanId, isRemote: true });
    expect(sc?.traceState?.get("vendor")).toBe("1");
  });

  it("leaves the base context alone when there is nothing valid", () => {
    expect(trace.getSpanContext(extractTraceContext({ traceparent: "garbage" }))).toBeUndefined();
    expect(extractTraceContext(undefined)).toBe(ROOT_CONTEXT);
  });

  it("inverts injectTraceContext", () => {
    const carrier: Record<string, unknown> = {};
    injectTraceContext(carrier, remote);
    expect(trace.getSpanContext(extractTraceContext(carrier))?.spanId).toBe(spanId);
  });
});

describe("parentContextOf", () => {
  const otherSpan = "00f067aa0ba902b7";
  it("prefers the CloudEvent's own extension over the Kafka header", () => {
    const ctx = parentContextOf(
      { traceparent: `00-${traceId}-${spanId}-01` },
      { traceparent: Buffer.from(`00-${traceId}-${otherSpan}-01`) },
    );
    expect(trace.getSpanContext(ctx)?.spanId).toBe(spanId);
  });

  it("falls back to the Kafka header", () => {
    const ctx = parentContextOf({}, { traceparent: Buffer.from(`00-${traceId}-${otherSpan}-01`) });
    expect(trace.getSpanContext(ctx)?.spanId).toBe(otherSpan);
  });
});
