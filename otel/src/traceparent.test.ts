import { createTraceState, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "./traceparent.ts";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const spanId = "00f067aa0ba902b7";

describe("parseTraceparent (W3C Trace Context §3.2)", () => {
  it("reads the four fields of version 00 as a remote span", () => {
    expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toEqual({
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  it("refuses what the spec calls invalid", () => {
    for (const bad of [
      `ff-${traceId}-${spanId}-01`, // version ff
      `00-${"0".repeat(32)}-${spanId}-01`, // all-zero trace id
      `00-${traceId}-${"0".repeat(16)}-01`, // all-zero parent id
      `00-${traceId.toUpperCase()}-${spanId}-01`, // upper case
      `00-${traceId}-${spanId}-01-extra`, // version 00 has exactly four fields
      `00-${traceId.slice(1)}-${spanId}-01`, // short trace id
      "",
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
  });

  it("accepts a later version with more fields, reading the four it knows", () => {
    expect(parseTraceparent(`01-${traceId}-${spanId}-00-what-comes-next`)).toMatchObject({
      traceId,
      spanId,
      traceFlags: TraceFlags.NONE,
    });
  });

  it("carries tracestate along", () => {
    const span = parseTraceparent(`00-${traceId}-${spanId}-01`, "congo=t61rcWkgMzE,rojo=00f067aa");
    expect(span?.traceState?.get("rojo")).toBe("00f067aa");
    expect(span?.traceState?.serialize()).toBe("congo=t61rcWkgMzE,rojo=00f067aa");
  });
});

describe("formatTraceparent", () => {
  it("writes version 00 with the span's flags and its tracestate", () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: TraceFlags.NONE,
      traceState: createTraceState("rojo=00f067aa"),
    });
    expect(formatTraceparent(ctx)).toEqual({
      traceparent: `00-${traceId}-${spanId}-00`,
      tracestate: "rojo=00f067aa",
    });
  });

  it("writes nothing for an invalid span or none", () => {
    expect(formatTraceparent(ROOT_CONTEXT)).toBeUndefined();
    const invalid = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "0".repeat(32),
      spanId,
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(formatTraceparent(invalid)).toBeUndefined();
  });

  it("is what parseTraceparent reads back", () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
    });
    const written = formatTraceparent(ctx);
    expect(written && parseTraceparent(written.traceparent)).toMatchObject({ traceId, spanId });
  });
});
